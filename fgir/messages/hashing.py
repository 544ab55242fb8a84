"""Messages of :mod:`fgir.hashing`: centers, checkpoint, encoder, features, itq and regions."""

EN = {
    "hashing.hadamard_order": "A Sylvester Hadamard matrix needs a power-of-two order, got {order}.",
    "hashing.hadamard_centers": (
        "Hadamard centers need a power-of-two bit length and at most 2K classes, got K={bits} and {count} classes."
    ),
    "hashing.centers_not_distinct": (
        "Could not draw {count} distinct balanced {bits}-bit hash centers. Use more bits (at least {minimum_bits} "
        "for {count} classes) or fewer classes."
    ),
    "hashing.invalid_bits": "Invalid code length {bits} bits. Use at least 2 bits, e.g. 12, 24, 32 or 48.",
    "hashing.invalid_class_count": "Invalid class count {count}. Hash centers need at least one class.",
    "hashing.invalid_layout": "Invalid region layout {layout!r}. Use parts such as 'global', 'grid2x2', joined by '+'.",
    "hashing.invalid_layout_part": (
        "Invalid part {part!r} in region layout {layout!r}. Use 'global' or 'gridNxM', e.g. 'global+grid2x2'."
    ),
    "hashing.invalid_grid": "Invalid grid {part!r} in region layout {layout!r}. Use 1 to {max_side} cells per side.",
    "hashing.itq_too_many_bits": (
        "ITQ cannot learn {bits}-bit codes from {count:,} descriptors of dimension {dimension}: it needs "
        "1 <= bits <= min(dimension, count) = {limit:,}. Use fewer bits or more images."
    ),
    "hashing.feature_rows_layout": (
        "Cached feature rows of width {width} do not fit layout {layout!r} with {regions} regions."
    ),
    "hashing.no_readable_images": (
        "No image of {root} could be read, so there is nothing to train on. Check the image files."
    ),
    "hashing.unnamed_checkpoint": "The checkpoint",
    "hashing.checkpoint_write_failed": "Could not write checkpoint {path} ({error}). Pass a writable --out path.",
    "hashing.checkpoint_not_found": (
        "Hash checkpoint not found: {path}. Train one with '{command}' or pass an existing file "
        "(trained checkpoints are in {folder})."
    ),
    "hashing.checkpoint_read_failed": (
        "Could not read hash checkpoint {path} ({error}). Check that the file is readable."
    ),
    "hashing.checkpoint_not_torch": (
        "{path} is not a PyTorch file, so it is not a hash checkpoint. Train a new one with '{command}'. ({detail})"
    ),
    "hashing.checkpoint_unreadable": (
        "{path} is not a readable hash checkpoint: either the file is damaged, or it contains Python objects "
        "other than tensors. Train a new one with '{command}'. ({detail})"
    ),
    "hashing.checkpoint_wrong_format": (
        "{path} is not a format-{format} hash checkpoint (found {found!r}). Train a new one with '{command}'."
    ),
    "hashing.checkpoint_bad_metadata": "{path} has no valid JSON metadata ({error}). Train a new one with '{command}'.",
    "hashing.checkpoint_no_tensors": "{path} has no tensor dictionary. Train a new one with '{command}'.",
    "hashing.checkpoint_missing_metadata": (
        "{path} is missing the metadata fields {missing}. Train a new one with '{command}'."
    ),
    "hashing.checkpoint_unknown_model": "{path} has unknown model {model!r}. Expected one of: {models}.",
    "hashing.checkpoint_no_network": "{path} has no network.* tensors. Train a new one with '{command}'.",
    "hashing.checkpoint_bad_tensor": "{path}: tensor {name!r} is missing or not {ndim}-dimensional. Train a new one.",
    "hashing.checkpoint_bits_mismatch": (
        "{path}: metadata sets {bits} bits but the tensors have {tensor_bits}. Train a new one."
    ),
    "hashing.checkpoint_backbone_mismatch": (
        "{name} was trained on backbone {trained_backbone} with weights {trained_weights}, but the chosen backbone "
        "is {backbone} with weights {weights}. Pass --backbone {trained_backbone} with the same weights, or train a "
        "checkpoint for {backbone} with '{command} --backbone {backbone}'."
    ),
    "hashing.checkpoint_preprocessing_mismatch": (
        "{name} was trained with preprocessing {trained_preprocessing}, but {backbone} now uses {preprocessing}. "
        "Retrain it with '{command} --backbone {backbone}'."
    ),
    "hashing.network_tensors_mismatch": (
        "{name}: the network tensors do not match its metadata ({error}). Train a new checkpoint with '{command}'."
    ),
}

ZH = {
    "hashing.hadamard_order": "Sylvester Hadamard 矩阵的阶数必须是 2 的幂，当前为 {order}。",
    "hashing.hadamard_centers": (
        "Hadamard 哈希中心要求码长为 2 的幂且类别数不超过 2K，当前 K={bits}，类别数为 {count}。"
    ),
    "hashing.centers_not_distinct": (
        "无法抽取 {count} 个互不相同的 {bits} 位平衡哈希中心。请增加位数（{count} 个类别至少需要 {minimum_bits} 位），"
        "或减少类别数。"
    ),
    "hashing.invalid_bits": "码长 {bits} 位无效。请至少使用 2 位，例如 12、24、32 或 48。",
    "hashing.invalid_class_count": "类别数 {count} 无效。生成哈希中心至少需要一个类别。",
    "hashing.invalid_layout": "区域布局 {layout!r} 无效。请使用 'global'、'grid2x2' 等部分，并用 '+' 连接。",
    "hashing.invalid_layout_part": (
        "区域布局 {layout!r} 中的部分 {part!r} 无效。请使用 'global' 或 'gridNxM'，例如 'global+grid2x2'。"
    ),
    "hashing.invalid_grid": "区域布局 {layout!r} 中的网格 {part!r} 无效。每边的格数应在 1 到 {max_side} 之间。",
    "hashing.itq_too_many_bits": (
        "ITQ 无法从 {count:,} 个 {dimension} 维描述子中学习 {bits} 位哈希码：要求 "
        "1 <= bits <= min(维数, 描述子数) = {limit:,}。请减少位数或增加图像。"
    ),
    "hashing.feature_rows_layout": "缓存的特征行宽度为 {width}，与含 {regions} 个区域的布局 {layout!r} 不符。",
    "hashing.no_readable_images": "{root} 中没有可读取的图像，因此没有可用于训练的数据。请检查图像文件。",
    "hashing.unnamed_checkpoint": "该检查点",
    "hashing.checkpoint_write_failed": "无法写入检查点 {path}（{error}）。请用 --out 指定可写的路径。",
    "hashing.checkpoint_not_found": (
        "找不到哈希检查点：{path}。请用 '{command}' 训练一个检查点，或指定已有的文件（训练好的检查点位于 {folder}）。"
    ),
    "hashing.checkpoint_read_failed": "无法读取哈希检查点 {path}（{error}）。请检查该文件是否可读。",
    "hashing.checkpoint_not_torch": (
        "{path} 不是 PyTorch 文件，因此不是哈希检查点。请用 '{command}' 重新训练一个检查点。（{detail}）"
    ),
    "hashing.checkpoint_unreadable": (
        "{path} 不是可读取的哈希检查点：文件已损坏，或者其中除张量外还包含其他 Python 对象。"
        "请用 '{command}' 重新训练一个检查点。（{detail}）"
    ),
    "hashing.checkpoint_wrong_format": (
        "{path} 不是格式版本 {format} 的哈希检查点（实际为 {found!r}）。请用 '{command}' 重新训练一个检查点。"
    ),
    "hashing.checkpoint_bad_metadata": (
        "{path} 中没有有效的 JSON 元数据（{error}）。请用 '{command}' 重新训练一个检查点。"
    ),
    "hashing.checkpoint_no_tensors": "{path} 中没有张量字典。请用 '{command}' 重新训练一个检查点。",
    "hashing.checkpoint_missing_metadata": "{path} 缺少元数据字段 {missing}。请用 '{command}' 重新训练一个检查点。",
    "hashing.checkpoint_unknown_model": "{path} 的模型类型 {model!r} 未知，应为以下之一：{models}。",
    "hashing.checkpoint_no_network": "{path} 中没有 network.* 张量。请用 '{command}' 重新训练一个检查点。",
    "hashing.checkpoint_bad_tensor": "{path}：张量 {name!r} 缺失或不是 {ndim} 维。请重新训练一个检查点。",
    "hashing.checkpoint_bits_mismatch": (
        "{path}：元数据中的码长为 {bits} 位，但张量为 {tensor_bits} 位。请重新训练一个检查点。"
    ),
    "hashing.checkpoint_backbone_mismatch": (
        "{name} 是在骨干网络 {trained_backbone}（权重 {trained_weights}）上训练的，但当前选择的骨干网络是 "
        "{backbone}（权重 {weights}）。请使用 --backbone {trained_backbone} 及相同的权重，"
        "或用 '{command} --backbone {backbone}' 为 {backbone} 训练一个检查点。"
    ),
    "hashing.checkpoint_preprocessing_mismatch": (
        "{name} 训练时使用的预处理为 {trained_preprocessing}，但 {backbone} 现在使用 {preprocessing}。"
        "请用 '{command} --backbone {backbone}' 重新训练。"
    ),
    "hashing.network_tensors_mismatch": (
        "{name}：网络张量与其元数据不匹配（{error}）。请用 '{command}' 重新训练一个检查点。"
    ),
}
