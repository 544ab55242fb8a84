"""Messages of the gallery reader, :mod:`fgir.gallery`."""

_LAYOUT_HINT_EN = (
    "A folder gallery needs images inside class subfolders (ROOT/<class>/<image>.jpg); "
    "a CUB root needs images/ and its metadata files."
)
_LAYOUT_HINT_ZH = (
    "文件夹图库需要把图像放在类别子文件夹中（ROOT/<class>/<image>.jpg）；CUB 根目录需要 images/ 文件夹及其元数据文件。"
)

EN = {
    "gallery.not_a_folder": (
        "{root} is a file, not a folder. Pass a CUB-200-2011 root or a folder of class subfolders, "
        "or upload a zip of class folders."
    ),
    "gallery.folder_not_found": (
        "Gallery folder not found: {root}. Pass a CUB-200-2011 root or a folder of class subfolders."
    ),
    "gallery.invalid_split": "Invalid split {split!r}. Use one of: {choices}.",
    "gallery.split_needs_cub_root": (
        "Split {split!r} needs a CUB-200-2011 root; {root} is a plain folder. Use --split all."
    ),
    "gallery.invalid_fingerprint_mode": "Invalid fingerprint mode {mode!r}. Use one of: {choices}.",
    "gallery.class_range_not_numbers": "Invalid class range {text!r}. Use FIRST-LAST with class ids, e.g. 1-100.",
    "gallery.class_range_out_of_order": (
        "Invalid class range {text!r}. Use FIRST-LAST with 1 <= FIRST <= LAST, e.g. 1-100."
    ),
    "gallery.class_range_outside": (
        "Class range {first}-{last} is outside the class ids {known_first}-{known_last} of {source}. "
        "Pass --classes within {known_first}-{known_last}."
    ),
    # The {source} of gallery.class_range_outside for a folder gallery.
    "gallery.class_subfolders": "the {count} class subfolders of {root}",
    "gallery.no_images": "No images found in {root} for split {split!r}. " + _LAYOUT_HINT_EN,
    "gallery.no_images_in_classes": (
        "No images found in {root} for split {split!r} and classes {first}-{last}. " + _LAYOUT_HINT_EN
    ),
    "gallery.metadata_not_utf8": "{path} is not UTF-8 text ({reason}). Restore the official metadata file.",
    "gallery.metadata_field_count": (
        "{path}:{line_number}: expected {expected} fields, found {found}: {line!r}. Fix the metadata file."
    ),
    "gallery.metadata_invalid_id": "{path}:{line_number}: invalid id {value!r}. Fix the metadata file.",
    "gallery.metadata_duplicate_id": (
        "{path}:{line_number}: duplicate id {row_id}. Remove or renumber the repeated line."
    ),
    "gallery.invalid_class_id": "{path}: invalid class id {value!r} for image id {image_id}. Fix the metadata file.",
    "gallery.invalid_box": "bounding_boxes.txt: invalid box {box!r} for {path}. Use '<id> <x> <y> <width> <height>'.",
}

ZH = {
    "gallery.not_a_folder": "{root} 是文件而不是文件夹。请指定 CUB-200-2011 根目录或由类别子文件夹组成的文件夹，或上传按类别分文件夹的 zip 压缩包。",
    "gallery.folder_not_found": "找不到图库文件夹：{root}。请指定 CUB-200-2011 根目录，或由类别子文件夹组成的文件夹。",
    "gallery.invalid_split": "无效的划分 {split!r}。请使用以下之一：{choices}。",
    "gallery.split_needs_cub_root": "划分 {split!r} 需要 CUB-200-2011 根目录，而 {root} 只是普通文件夹。请使用 --split all。",
    "gallery.invalid_fingerprint_mode": "无效的指纹模式 {mode!r}。请使用以下之一：{choices}。",
    "gallery.class_range_not_numbers": "无效的类别范围 {text!r}。请用类别 id 写成 FIRST-LAST 的形式，例如 1-100。",
    "gallery.class_range_out_of_order": (
        "无效的类别范围 {text!r}。请写成 FIRST-LAST 的形式，并满足 1 <= FIRST <= LAST，例如 1-100。"
    ),
    "gallery.class_range_outside": (
        "类别范围 {first}-{last} 超出了类别 id 范围 {known_first}-{known_last}（类别 id 来自 {source}）。"
        "请在 {known_first}-{known_last} 之内指定 --classes。"
    ),
    "gallery.class_subfolders": "{root} 下的 {count} 个类别子文件夹",
    "gallery.no_images": "{root} 中没有划分 {split!r} 的图像。" + _LAYOUT_HINT_ZH,
    "gallery.no_images_in_classes": "{root} 中没有属于划分 {split!r}、类别 {first}-{last} 的图像。" + _LAYOUT_HINT_ZH,
    "gallery.metadata_not_utf8": "{path} 不是 UTF-8 文本（{reason}）。请恢复官方的元数据文件。",
    "gallery.metadata_field_count": (
        "{path}:{line_number}：应有 {expected} 个字段，实际有 {found} 个：{line!r}。请修正该元数据文件。"
    ),
    "gallery.metadata_invalid_id": "{path}:{line_number}：无效的 id {value!r}。请修正该元数据文件。",
    "gallery.metadata_duplicate_id": "{path}:{line_number}：id {row_id} 重复。请删除重复的行，或为其重新编号。",
    "gallery.invalid_class_id": "{path}：图像 id {image_id} 的类别 id {value!r} 无效。请修正该元数据文件。",
    "gallery.invalid_box": "bounding_boxes.txt：{path} 的边界框 {box!r} 无效。请使用 '<id> <x> <y> <width> <height>' 格式。",
}
