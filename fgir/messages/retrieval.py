"""Messages of :mod:`fgir.service`, :mod:`fgir.pipeline` and the retrieval methods in :mod:`fgir.methods`."""

EN = {
    "retrieval.no_gallery": (
        "No gallery is loaded. Start the app with --gallery PATH, or load a folder or zip in the Gallery tab."
    ),
    "retrieval.no_gallery_to_explain": "No gallery is loaded, so there is no result to explain.",
    "retrieval.not_a_gallery_image": "{path} is not an image of the current gallery. Run the search again.",
    "retrieval.no_readable_image": (
        "No gallery image could be read: all {count} were skipped, e.g. {example}: {reason}. Replace the broken files."
    ),
    "retrieval.unknown_method": "Unknown method {method_id!r}. Choose one of: {choices}.",
    # Raised by the app's service, where the checkpoint is picked in the UI.
    "retrieval.app_needs_checkpoint": (
        "The wlrh method needs a hash checkpoint. Train one with '{command}' and pick it under 'Hash checkpoint', "
        "or start the app with --checkpoint PATH."
    ),
    # Raised by the method itself when it is created without a checkpoint.
    "retrieval.wlrh_needs_checkpoint": (
        "The wlrh method needs a trained hash checkpoint. Pass --checkpoint PATH, or train one with '{command}' "
        "(by default it writes to {folder})."
    ),
}

ZH = {
    "retrieval.no_gallery": "尚未加载图库。请用 --gallery PATH 启动应用，或在“图库”标签页中加载文件夹或 zip 压缩包。",
    "retrieval.no_gallery_to_explain": "尚未加载图库，因此没有可解释的检索结果。",
    "retrieval.not_a_gallery_image": "{path} 不是当前图库中的图像。请重新检索。",
    "retrieval.no_readable_image": (
        "无法读取任何图库图像：全部 {count} 张均被跳过，例如 {example}：{reason}。请替换损坏的文件。"
    ),
    "retrieval.unknown_method": "未知的方法 {method_id!r}。请从以下方法中选择：{choices}。",
    "retrieval.app_needs_checkpoint": (
        "wlrh 方法需要哈希检查点。请用 '{command}' 训练一个，并在“哈希模型检查点”中选择它；"
        "或者用 --checkpoint PATH 启动应用。"
    ),
    "retrieval.wlrh_needs_checkpoint": (
        "wlrh 方法需要训练好的哈希检查点。请用 --checkpoint PATH 指定，或用 '{command}' 训练一个（默认保存到 {folder}）。"
    ),
}
