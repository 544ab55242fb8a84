"""Messages of the archive extractor, :mod:`fgir.archive`."""

EN = {
    "archive.member_outside": (
        "Archive member {name!r} would be written outside {destination}. Use an archive of plain relative paths."
    ),
    "archive.member_unsafe_path": (
        "Archive member {name!r} has an absolute path or a '..' component. Use an archive of plain relative paths."
    ),
    "archive.member_symlink": (
        "Archive member {name!r} is a symbolic link to {target!r}, but only files and folders are accepted. "
        "Use an archive without links."
    ),
    "archive.member_hardlink": (
        "Archive member {name!r} is a hard link to {target!r}, but only files and folders are accepted. "
        "Use an archive without links."
    ),
    "archive.member_special": (
        "Archive member {name!r} is a device file or FIFO, but only files and folders are accepted."
    ),
    "archive.zip_unreadable": "Not a readable zip archive: {archive} ({reason}). Upload a .zip of class folders.",
    "archive.zip_extract_failed": (
        "Could not extract {archive}: {reason}. Upload an unencrypted, undamaged zip of class folders."
    ),
    "archive.tar_extract_failed": (
        "Could not extract {archive}: {reason}. Check that it is a complete, undamaged tar archive."
    ),
    "archive.too_many_members": "Archive {archive} has {count} entries, above the limit of {limit}. Split it.",
    "archive.too_many_members_streamed": "Archive {archive} has more than {limit} entries. Split it.",
    "archive.too_large": (
        "Archive {archive} expands to {size:,} bytes, above the limit of {limit:,}. Use a smaller subset."
    ),
    "archive.too_large_streamed": "Archive {archive} expands to more than {limit:,} bytes. Use a smaller subset.",
}

ZH = {
    "archive.member_outside": "压缩包成员 {name!r} 会被写到 {destination} 之外。请使用只含普通相对路径的压缩包。",
    "archive.member_unsafe_path": "压缩包成员 {name!r} 使用了绝对路径或含有 '..' 路径段。请使用只含普通相对路径的压缩包。",
    "archive.member_symlink": (
        "压缩包成员 {name!r} 是指向 {target!r} 的符号链接，而这里只接受文件和文件夹。请使用不含链接的压缩包。"
    ),
    "archive.member_hardlink": (
        "压缩包成员 {name!r} 是指向 {target!r} 的硬链接，而这里只接受文件和文件夹。请使用不含链接的压缩包。"
    ),
    "archive.member_special": "压缩包成员 {name!r} 是设备文件或 FIFO，而这里只接受文件和文件夹。",
    "archive.zip_unreadable": "无法读取 zip 压缩包：{archive}（{reason}）。请上传按类别分文件夹的 .zip 压缩包。",
    "archive.zip_extract_failed": "无法解压 {archive}：{reason}。请上传未加密、未损坏且按类别分文件夹的 zip 压缩包。",
    "archive.tar_extract_failed": "无法解压 {archive}：{reason}。请确认它是完整、未损坏的 tar 压缩包。",
    "archive.too_many_members": "压缩包 {archive} 含有 {count} 个条目，超过上限 {limit}。请将其拆分。",
    "archive.too_many_members_streamed": "压缩包 {archive} 含有超过 {limit} 个条目。请将其拆分。",
    "archive.too_large": "压缩包 {archive} 解压后为 {size:,} 字节，超过上限 {limit:,}。请改用更小的子集。",
    "archive.too_large_streamed": "压缩包 {archive} 解压后超过 {limit:,} 字节。请改用更小的子集。",
}
