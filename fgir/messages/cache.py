"""Messages of the gallery cache and the indexer, :mod:`fgir.cache` and :mod:`fgir.indexing`."""

EN = {
    "cache.write_failed": (
        "Could not write the gallery cache under {root} ({reason}). Free disk space or pass --cache-dir."
    ),
    "cache.folder_not_writable": (
        "Cannot write the gallery cache folder {folder} ({reason}). Pass a writable --cache-dir or set FGIR_CACHE_DIR."
    ),
    "cache.progress_write_failed": (
        "Cannot write indexing progress to {folder} ({reason}). Free disk space or pass another --cache-dir."
    ),
}

ZH = {
    "cache.write_failed": "无法在 {root} 下写入图库缓存（{reason}）。请释放磁盘空间，或用 --cache-dir 指定其他缓存文件夹。",
    "cache.folder_not_writable": (
        "无法写入图库缓存文件夹 {folder}（{reason}）。请用 --cache-dir 指定可写的文件夹，或设置环境变量 FGIR_CACHE_DIR。"
    ),
    "cache.progress_write_failed": (
        "无法将索引构建进度写入 {folder}（{reason}）。请释放磁盘空间，或用 --cache-dir 指定其他缓存文件夹。"
    ),
}
