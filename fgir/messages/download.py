"""Messages of the CUB-200-2011 download, :mod:`fgir.download`.

Option names (--url, --md5, --classes, --force) are those of ``python -m fgir download cub``;
the app labels its download fields with the same names.
"""

_USE_MIRROR_EN = "pass --url MIRROR --md5 HEX to use a mirror"
_USE_MIRROR_ZH = "用 --url MIRROR --md5 HEX 指定镜像"

EN = {
    "download.md5_without_url": (
        "--md5 {md5} applies only to a mirror given with --url, because the official MD5 is fixed. Drop --md5 or add --url."
    ),
    "download.invalid_url_scheme": "Invalid --url {url}. Use an http:// or https:// URL of {archive}.",
    "download.url_without_md5": (
        "--url {url} needs --md5 HEX, the MD5 of the mirror's {archive}, so the download can be verified. "
        "For a copy of the official archive, pass --md5 {official_md5}."
    ),
    "download.invalid_md5": "Invalid --md5 {md5}. Pass the 32 hex digits of the archive's MD5.",
    "download.existing_md5_mismatch": (
        "{path} exists but its MD5 is {digest}, expected {expected}. Delete it and run the download again."
    ),
    "download.write_failed": (
        "Could not write {path} ({reason}). Free disk space or fix the permissions of {folder}, "
        "then run the download again to resume."
    ),
    "download.network_failed_resume": (
        "Could not download {url}: {reason}. Check the network connection and run the download again to resume "
        "from the {kept:,} bytes kept in {path}, or " + _USE_MIRROR_EN + "."
    ),
    "download.network_failed": (
        "Could not download {url}: {reason}. Check the network connection and run the download again, or "
        + _USE_MIRROR_EN + "."
    ),
    "download.mirror_failed_resume": (
        "Could not download {url}: {reason}. Check the network connection and run the download again to resume "
        "from the {kept:,} bytes kept in {path}, or check the --url value."
    ),
    "download.mirror_failed": (
        "Could not download {url}: {reason}. Check the network connection and run the download again, "
        "or check the --url value."
    ),
    "download.invalid_url": "Invalid URL {url}: {reason}. Pass an http:// or https:// URL of {archive}.",
    "download.wrong_resume_offset": (
        "the server resumed at byte {start} instead of {offset}, so the download restarts from byte 0"
    ),
    "download.unexpected_status": "Download of {url} failed: unexpected HTTP status {status}. Check the URL.",
    "download.size_mismatch": (
        "{url} reports {total:,} bytes, but {archive} has {expected:,}. The server may be serving another file. "
        "Pass --url MIRROR --md5 HEX to use a mirror."
    ),
    "download.connection_lost": "connection lost at byte {received:,}: {reason}",
    "download.connection_closed": "connection closed at byte {received:,} of {total:,}",
    "download.resume_rejected": "the server rejected a resume at byte {offset}, so the download restarts from byte 0",
    "download.http_error": (
        "Download of {url} failed: HTTP {code} {reason}. Check the URL, or " + _USE_MIRROR_EN + "."
    ),
    "download.wrong_size": (
        "Downloaded {size:,} bytes from {url}, expected {expected:,}. The partial file was deleted. "
        "Run the download again to download anew."
    ),
    "download.md5_mismatch": (
        "MD5 of the archive from {url} is {digest}, expected {expected}, so nothing was extracted. "
        "The file was moved to {path}. The download was damaged, so delete it and run the download again."
    ),
    "download.mirror_md5_mismatch": (
        "MD5 of the archive from {url} is {digest}, expected {expected}, so nothing was extracted. "
        "The file was moved to {path}. Check --md5 against the mirror's published checksum, then delete it "
        "and run the download again."
    ),
    "download.not_installed": "{reason} Nothing was installed in {folder}.",
    "download.extract_failed": (
        "Could not extract {archive} into {folder} ({reason}). Free disk space or fix the folder's permissions."
    ),
    "download.not_cub": (
        "{archive} has no {root}/ folder in the CUB-200-2011 layout "
        "(images.txt, image_class_labels.txt, train_test_split.txt, classes.txt, images/). "
        "Check that the URL points to {archive_name}."
    ),
    "download.classes_out_of_range": "Invalid --classes {count}: {path} lists {available} classes. Pass 1 to {available}.",
    "download.invalid_id": "{path}: invalid id {value}. Fix the metadata file or use the official archive.",
    "download.root_exists": "{root} already exists. Remove it or pass --force to replace it.",
    "download.invalid_classes": "Invalid --classes {classes}. Pass a number of classes from 1 to {maximum}, e.g. 10.",
    "download.destination_not_folder": "{folder} is a file, not a folder. Pass a folder for the download, e.g. data.",
}

ZH = {
    "download.md5_without_url": "--md5 {md5} 只适用于用 --url 指定的镜像，因为官方压缩包的 MD5 是固定的。请去掉 --md5，或加上 --url。",
    "download.invalid_url_scheme": "--url {url} 无效。请使用 {archive} 的 http:// 或 https:// 地址。",
    "download.url_without_md5": (
        "--url {url} 需要配合 --md5 HEX（镜像上 {archive} 的 MD5）才能校验下载结果。"
        "如果镜像是官方压缩包的副本，请传入 --md5 {official_md5}。"
    ),
    "download.invalid_md5": "--md5 {md5} 无效。请传入压缩包 MD5 的 32 位十六进制数字。",
    "download.existing_md5_mismatch": "{path} 已存在，但其 MD5 为 {digest}，应为 {expected}。请删除该文件后重新下载。",
    "download.write_failed": "无法写入 {path}（{reason}）。请释放磁盘空间或修正 {folder} 的权限，然后重新下载以继续断点续传。",
    "download.network_failed_resume": (
        "无法下载 {url}：{reason}。请检查网络连接后重新下载，将从 {path} 中已保存的 {kept:,} 字节处继续；"
        "或" + _USE_MIRROR_ZH + "。"
    ),
    "download.network_failed": "无法下载 {url}：{reason}。请检查网络连接后重新下载，或" + _USE_MIRROR_ZH + "。",
    "download.mirror_failed_resume": (
        "无法下载 {url}：{reason}。请检查网络连接后重新下载，将从 {path} 中已保存的 {kept:,} 字节处继续；"
        "或检查 --url 的值。"
    ),
    "download.mirror_failed": "无法下载 {url}：{reason}。请检查网络连接后重新下载，或检查 --url 的值。",
    "download.invalid_url": "URL {url} 无效：{reason}。请传入 {archive} 的 http:// 或 https:// 地址。",
    "download.wrong_resume_offset": "服务器从第 {start} 字节而不是第 {offset} 字节续传，因此下载将从第 0 字节重新开始",
    "download.unexpected_status": "下载 {url} 失败：意外的 HTTP 状态码 {status}。请检查 URL。",
    "download.size_mismatch": (
        "{url} 报告的大小为 {total:,} 字节，但 {archive} 应为 {expected:,} 字节，服务器提供的可能是另一个文件。"
        "请用 --url MIRROR --md5 HEX 指定镜像。"
    ),
    "download.connection_lost": "在第 {received:,} 字节处连接中断：{reason}",
    "download.connection_closed": "在第 {received:,} 字节处连接关闭（共 {total:,} 字节）",
    "download.resume_rejected": "服务器拒绝从第 {offset} 字节续传，因此下载将从第 0 字节重新开始",
    "download.http_error": "下载 {url} 失败：HTTP {code} {reason}。请检查 URL，或" + _USE_MIRROR_ZH + "。",
    "download.wrong_size": "从 {url} 下载了 {size:,} 字节，应为 {expected:,} 字节。不完整的文件已删除，请重新下载。",
    "download.md5_mismatch": (
        "来自 {url} 的压缩包 MD5 为 {digest}，应为 {expected}，因此没有解压任何内容。该文件已移至 {path}。"
        "下载的文件已损坏，请删除它后重新下载。"
    ),
    "download.mirror_md5_mismatch": (
        "来自 {url} 的压缩包 MD5 为 {digest}，应为 {expected}，因此没有解压任何内容。该文件已移至 {path}。"
        "请对照镜像公布的校验值检查 --md5，然后删除该文件并重新下载。"
    ),
    "download.not_installed": "{reason} {folder} 中没有安装任何内容。",
    "download.extract_failed": "无法将 {archive} 解压到 {folder}（{reason}）。请释放磁盘空间或修正该文件夹的权限。",
    "download.not_cub": (
        "{archive} 中没有符合 CUB-200-2011 目录结构的 {root}/ 文件夹"
        "（images.txt、image_class_labels.txt、train_test_split.txt、classes.txt、images/）。"
        "请确认 URL 指向的是 {archive_name}。"
    ),
    "download.classes_out_of_range": "--classes {count} 无效：{path} 只列出了 {available} 个类别。请传入 1 到 {available} 之间的数。",
    "download.invalid_id": "{path}：编号 {value} 无效。请修正该元数据文件，或使用官方压缩包。",
    "download.root_exists": "{root} 已存在。请删除它，或用 --force 替换它。",
    "download.invalid_classes": "--classes {classes} 无效。请传入 1 到 {maximum} 之间的类别数，例如 10。",
    "download.destination_not_folder": "{folder} 是文件而不是文件夹。请指定用于下载的文件夹，例如 data。",
}
