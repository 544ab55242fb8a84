"""Messages of the evaluation protocols, :mod:`fgir.evaluation.protocol`."""

EN = {
    "evaluation.not_cub_root": (
        "{path} is not a CUB-200-2011 root: it needs images/, images.txt, image_class_labels.txt, "
        "train_test_split.txt and classes.txt. Pass the folder that contains them, or use --gallery for a "
        "folder of class subfolders."
    ),
    "evaluation.invalid_query_fraction": "Invalid query fraction {fraction}. Use a number between 0 and 1, e.g. 0.3.",
    "evaluation.invalid_seed": "Invalid seed {seed}. Use a non-negative integer such as 0.",
    "evaluation.holdout_on_cub_root": (
        "{path} is a CUB-200-2011 root. Use --cub-root {path} to evaluate on its official train/test split."
    ),
    "evaluation.no_holdout_queries": (
        "No class in {path} has 2 or more images, so no query can be held out. Add images to the class subfolders."
    ),
    "evaluation.invalid_whiten_dim": (
        "Invalid --whiten-dim {dim}: with {count} gallery descriptors of {width} values use 1 to {limit}."
    ),
    "evaluation.no_readable_gallery_image": "No gallery image of {folder} could be read. Check the image files.",
    "evaluation.no_readable_query_image": "No query image of {folder} could be read. Check the image files.",
}

ZH = {
    "evaluation.not_cub_root": (
        "{path} 不是 CUB-200-2011 根目录：根目录中需要有 images/、images.txt、image_class_labels.txt、"
        "train_test_split.txt 和 classes.txt。请指定包含这些文件的文件夹；如果是由类别子文件夹组成的文件夹，请改用 --gallery。"
    ),
    "evaluation.invalid_query_fraction": "无效的查询图像比例 {fraction}。请使用 0 到 1 之间的数，例如 0.3。",
    "evaluation.invalid_seed": "无效的随机种子 {seed}。请使用非负整数，例如 0。",
    "evaluation.holdout_on_cub_root": "{path} 是 CUB-200-2011 根目录。请使用 --cub-root {path}，在其官方训练/测试划分上评估。",
    "evaluation.no_holdout_queries": (
        "{path} 中没有任何类别含有 2 张或更多图像，因此无法留出查询图像。请向类别子文件夹中添加图像。"
    ),
    "evaluation.invalid_whiten_dim": (
        "无效的 --whiten-dim {dim}：图库共有 {count} 个 {width} 维描述子，请使用 1 到 {limit} 之间的值。"
    ),
    "evaluation.no_readable_gallery_image": "无法读取 {folder} 中的任何图库图像。请检查图像文件。",
    "evaluation.no_readable_query_image": "无法读取 {folder} 中的任何查询图像。请检查图像文件。",
}
