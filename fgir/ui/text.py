"""Every string the UI shows, in English and Simplified Chinese.

Keys are shared by both languages; a test fails when a key lacks a translation. Field terms
(CroW, SCDA, mAP, Grad-CAM, top-k) stay as they are in both languages.
"""

from __future__ import annotations

LANGUAGES = {"en": "English", "zh": "简体中文"}
DEFAULT_LANGUAGE = "en"

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "fgir · fine-grained image retrieval",
        "intro": (
            "# fgir · fine-grained image retrieval\n"
            "Pick a method and a backbone, upload a query or click an example, and see the ranked gallery "
            "images next to the maps that explain them: CroW spatial and channel weights, the localized "
            "target box (green; ground truth in amber when the data set has one) and a gradient-weighted "
            "saliency map."
        ),
        "language": "Language",
        "no_gallery": (
            "**No gallery is loaded.** You can still explain one image (weighting maps, box, saliency) with "
            "*Explain only*. To search, open the **Gallery** tab and enter a folder path (a CUB-200-2011 root "
            "or a folder of class subfolders), or upload a zip of class folders; or start the app with "
            "`python app.py --gallery PATH`."
        ),
        "gallery_summary": "**Gallery:** {root} · {kind} · split `{split}` · {images} images in {classes} classes · cache `{cache}`",
        "split_auto": "auto (train for CUB)",
        "split_train": "train",
        "split_test": "test",
        "split_all": "all",
        "need_folder": "Enter a gallery folder path first.",
        "download_os_error": "Could not download into {folder} ({reason}). Choose a writable folder.",
        "compare_heading": "**{name}** (`{method_id}`)",
        "tab_search": "Search",
        "tab_compare": "Compare methods",
        "tab_gallery": "Gallery",
        "query_image": "Query image",
        "method": "Method",
        "backbone": "Backbone",
        "top_k": "Top-k results",
        "search": "Search",
        "explain_only": "Explain only",
        "examples": "Example queries (click one)",
        "ranked_results": "Ranked results",
        "query_view": "Query · box (green) · ground truth (amber)",
        "spatial_view": "Spatial weights S (CroW)",
        "channel_view": "Channel weights w (CroW), sorted",
        "saliency_view": "Saliency (gradient-weighted channels, Grad-CAM style)",
        "match_accordion": "Why did a result match? Click a result above.",
        "match_hint": "Select a result after a search to see why it matched.",
        "match_query": "Query: saliency for this match",
        "match_result": "Result: saliency for this match",
        "match_caption": "Why #{rank} ({class_name}, similarity {score:.3f}) matched the query",
        "json_accordion": "Ranked results as JSON",
        "json_label": "Results",
        "compare_intro": "One query through several methods side by side: the top 5 of each, and its precision when the query's class is known.",
        "methods": "Methods",
        "compare": "Compare",
        "precision": "precision@{k} = {value:.2f}",
        "gallery_intro": "Load a gallery from a folder on this machine, or upload a zip of class folders.",
        "gallery_folder": "Gallery folder",
        "gallery_folder_placeholder": "/path/to/CUB_200_2011 or /path/to/class_folders",
        "split": "Split (CUB only)",
        "class_range": "Class range",
        "class_range_placeholder": "e.g. 1-100 (empty = all)",
        "load_folder": "Load folder",
        "upload_zip": "… or upload a zip of class folders",
        "index_now": "Index now with the selected method and backbone",
        "indexed": "Indexed {count} images with `{method}` on `{backbone}`.",
        "need_query": "Upload a query image or click an example first.",
        "need_image": "Upload an image first.",
        "need_query_and_methods": "Upload a query image and pick at least one method.",
        "error": "**Error:** {message}",
        "query_class_hits": "Query class: {class_name}; {hits} of {total} results share it.",
        "no_localize": "`{method_id}` does not localize, so no predicted boxes are drawn.",
        "skipped_images": "{count} unreadable gallery images were skipped, e.g. {example}.",
        "timing": "Timing: descriptor and maps {describe_ms:.0f} ms, search {search_ms:.0f} ms.",
        "random_weights": "RANDOM WEIGHTS (development only, results are meaningless)",
        "method_note": "**{name}** (`{method}`).",
        "method_slow": (
            " This method runs a backward pass for every image, so indexing a gallery takes several times longer "
            "than with `wmtl`; the progress bar estimates the time left from the images done so far."
        ),
        "progress_indexing": "Indexing gallery",
        "progress_cached": "Gallery index loaded from the cache",
        "progress_eta": "Indexing gallery: about {seconds:.0f} s left",
        "tab_steps": "Step by step",
        "steps_intro": "Walk through the wmtl pipeline for one query: input → feature map → spatial weights → channel weights → mask and box → descriptor → nearest neighbours.",
        "run_steps": "Show the steps",
        "export_handout": "Export as PNG and PDF handout",
        "handout_files": "Handout files",
        "step_input": "1. Input image",
        "step_input_caption": "The query, {width}×{height} pixels, resized to the backbone's input size.",
        "step_feature_map": "2. Feature map X",
        "step_feature_map_caption": "The last conv feature map of {backbone}: {channels} channels on a {height}×{width} grid, shown as the sum over channels.",
        "step_spatial": "3. Spatial weights S",
        "step_spatial_caption": "CroW: S = (A / ||A||₂)^(1/2) with A the channel sum; bright cells weigh more.",
        "step_channel": "4. Channel weights w",
        "step_channel_caption": "CroW: w_c = log(Σ Q / Q_c) for {channels} channels, plotted largest first; sparse channels weigh more, and c* lists the strongest.",
        "step_mask": "5. Mask and box",
        "step_mask_caption": "{above_mean} of {positions} positions exceed the mean of the weighted map; the largest 8-connected component keeps {selected} and gives the box.",
        "step_descriptor": "6. Descriptor",
        "step_descriptor_caption": "Average and max pooling over the selected positions, fused with an earlier layer: {dimension} dimensions, L2-normalized.",
        "step_neighbours": "7. Nearest neighbours",
        "step_neighbours_caption": "The {count} gallery images with the highest cosine similarity, with their boxes.",
        "classroom_examples": "Teaching examples",
        "hash_checkpoint": "Hash checkpoint (wlrh)",
        "hash_checkpoint_info": "Trained with python -m fgir train-hash; files in checkpoints/.",
        "checkpoint_label": "{name}: {bits} bits, {feature}, {backbone}",
        "checkpoint_regions": "regions {regions}",
        "checkpoint_itq": "ITQ on the CroW descriptor",
        "checkpoint_map": ", validation mAP {value:.4f}",
        "code_bits": "Query code ({bits} bits): `{code}`. Captions give each result's Hamming distance d_H; local regions are drawn in blue.",
        "download_accordion": "Download CUB-200-2011",
        "download_intro": (
            "Fetch CUB-200-2011 (1.1 GB) from its official source, check its size and MD5, extract it and load it "
            "as the gallery. An interrupted download resumes when you press the button again. Keeping only the "
            "first classes makes a light demo gallery."
        ),
        "download_dest": "Destination folder",
        "download_classes": "Classes to keep (0 = all 200)",
        "download_url": "Mirror URL (--url, optional)",
        "download_md5": "Mirror MD5 (--md5, needed with a mirror URL)",
        "download_button": "Download and load",
        "download_stage_download": "Downloading CUB-200-2011",
        "download_stage_verify": "Verifying MD5",
        "download_stage_extract": "Extracting",
        "download_progress_bytes": "{stage}: {done:.0f} of {total:.0f} MiB",
        "download_progress_count": "{stage}: {done:,} files",
        "download_reused": "{root} is already in place, so it was loaded without downloading.",
        "download_done": "Downloaded and loaded {root}.",
        "invalid_class_count": "Invalid number of classes {value}. Enter 0 for all classes or a whole number from 1 to 200.",
        "need_class_count": "Enter the number of classes to keep: 0 for all classes, or a whole number from 1 to 200.",
        "method_name_crow": "CroW (cross-dimensional weighting)",
        "method_name_gap": "Global average pooling (baseline)",
        "method_name_gem": "GeM (generalized mean, p = 3)",
        "method_name_kpga": "Convolution-kernel gradient aggregation",
        "method_name_mac": "MAC (global max pooling)",
        "method_name_rmac": "R-MAC (regional max pooling, L = 3)",
        "method_name_scda": "SCDA (selective aggregation, last map)",
        "method_name_scda_flip": "SCDA_flip+ (two layers, image and mirror)",
        "method_name_spoc": "SPoC (sum pooling, Gaussian centre prior)",
        "method_name_wlrh": "Weighted local region hashing (supervised)",
        "method_name_wmtl": "Weighted-map target localization",
        "backbone_name_mobilenet_v2": "MobileNetV2 (offline ImageNet weights)",
        "backbone_name_resnet18": "ResNet-18",
        "backbone_name_resnet50": "ResNet-50",
        "backbone_name_vgg16": "VGG-16",
    },
    "zh": {
        "title": "fgir · 细粒度图像检索",
        "intro": (
            "# fgir · 细粒度图像检索\n"
            "选择方法和骨干网络，上传查询图像或点击示例，即可看到排序后的图库图像，以及解释检索结果的各种图："
            "CroW 空间权重与通道权重、定位出的目标框（绿色；数据集提供真实框时以琥珀色显示）和梯度加权显著图。"
        ),
        "language": "语言",
        "no_gallery": (
            "**尚未加载图库。** 仍可用“仅解释”查看单张图像的权重图、目标框和显著图。要进行检索，请打开**图库**标签页，"
            "输入文件夹路径（CUB-200-2011 根目录，或按类别分子文件夹的目录），或上传按类别分文件夹的 zip 压缩包；"
            "也可以用 `python app.py --gallery PATH` 启动应用。"
        ),
        "gallery_summary": "**图库：** {root} · {kind} · 划分：{split} · {images} 张图像，{classes} 个类别 · 缓存 `{cache}`",
        "split_auto": "自动（CUB 用训练集）",
        "split_train": "训练集",
        "split_test": "测试集",
        "split_all": "全部",
        "need_folder": "请先输入图库文件夹路径。",
        "download_os_error": "无法下载到 {folder}（{reason}）。请选择一个可写的文件夹。",
        "compare_heading": "**{name}**（`{method_id}`）",
        "tab_search": "检索",
        "tab_compare": "方法对比",
        "tab_gallery": "图库",
        "query_image": "查询图像",
        "method": "方法",
        "backbone": "骨干网络",
        "top_k": "返回结果数（top-k）",
        "search": "检索",
        "explain_only": "仅解释",
        "examples": "示例查询（点击选择）",
        "ranked_results": "排序结果",
        "query_view": "查询图像 · 预测框（绿）· 真实框（琥珀）",
        "spatial_view": "空间权重 S（CroW）",
        "channel_view": "通道权重 w（CroW），降序",
        "saliency_view": "显著图（梯度加权通道组合，Grad-CAM 式）",
        "match_accordion": "为什么匹配？点击上方的某个结果。",
        "match_hint": "检索后选择一个结果，即可查看它与查询匹配的原因。",
        "match_query": "查询图像：该匹配的显著图",
        "match_result": "结果图像：该匹配的显著图",
        "match_caption": "第 {rank} 名（{class_name}，相似度 {score:.3f}）与查询匹配的原因",
        "json_accordion": "排序结果（JSON）",
        "json_label": "结果",
        "compare_intro": "同一查询在多种方法下并排对比：每种方法的前 5 个结果，以及已知查询类别时的精度。",
        "methods": "方法",
        "compare": "对比",
        "precision": "precision@{k} = {value:.2f}",
        "gallery_intro": "从本机文件夹加载图库，或上传按类别分文件夹的 zip 压缩包。",
        "gallery_folder": "图库文件夹",
        "gallery_folder_placeholder": "/path/to/CUB_200_2011 或 /path/to/class_folders",
        "split": "划分（仅 CUB）",
        "class_range": "类别范围",
        "class_range_placeholder": "例如 1-100（留空 = 全部）",
        "load_folder": "加载文件夹",
        "upload_zip": "……或上传按类别分文件夹的 zip 压缩包",
        "index_now": "用当前选择的方法和骨干网络立即建立索引",
        "indexed": "已用 `{method}` 和 `{backbone}` 为 {count} 张图像建立索引。",
        "need_query": "请先上传查询图像或点击一个示例。",
        "need_image": "请先上传一张图像。",
        "need_query_and_methods": "请上传查询图像，并至少选择一种方法。",
        "error": "**错误：** {message}",
        "query_class_hits": "查询类别：{class_name}；{total} 个结果中有 {hits} 个属于该类别。",
        "no_localize": "`{method_id}` 不做目标定位，因此不绘制预测框。",
        "skipped_images": "跳过了 {count} 张无法读取的图库图像，例如 {example}。",
        "timing": "耗时：描述子与各种图 {describe_ms:.0f} ms，检索 {search_ms:.0f} ms。",
        "random_weights": "随机权重（仅供开发使用，结果没有意义）",
        "method_note": "**{name}**（`{method}`）。",
        "method_slow": "该方法需要对每张图像做一次反向传播，因此建立图库索引的时间是 `wmtl` 的数倍；进度条会根据已完成的图像估计剩余时间。",
        "progress_indexing": "正在建立图库索引",
        "progress_cached": "已从缓存加载图库索引",
        "progress_eta": "正在建立图库索引：预计还需约 {seconds:.0f} 秒",
        "tab_steps": "分步演示",
        "steps_intro": "逐步演示 wmtl 流程：输入 → 特征图 → 空间权重 → 通道权重 → 掩码与目标框 → 描述子 → 最近邻。",
        "run_steps": "显示各步骤",
        "export_handout": "导出为 PNG 和 PDF 讲义",
        "handout_files": "讲义文件",
        "step_input": "1. 输入图像",
        "step_input_caption": "查询图像，{width}×{height} 像素，缩放到骨干网络的输入尺寸。",
        "step_feature_map": "2. 特征图 X",
        "step_feature_map_caption": "{backbone} 最后一个卷积层的特征图：{channels} 个通道，{height}×{width} 网格，此处显示各通道之和。",
        "step_spatial": "3. 空间权重 S",
        "step_spatial_caption": "CroW：S = (A / ||A||₂)^(1/2)，A 为通道求和；越亮的位置权重越大。",
        "step_channel": "4. 通道权重 w",
        "step_channel_caption": "CroW：w_c = log(Σ Q / Q_c)，共 {channels} 个通道，按权重降序绘制；越稀疏的通道权重越大，c* 列出权重最大的通道。",
        "step_mask": "5. 掩码与目标框",
        "step_mask_caption": "{positions} 个位置中有 {above_mean} 个超过加权特征图的均值；最大 8 连通区域保留 {selected} 个位置并给出目标框。",
        "step_descriptor": "6. 描述子",
        "step_descriptor_caption": "在选中位置上做平均池化和最大池化，并融合较早的一层：共 {dimension} 维，L2 归一化。",
        "step_neighbours": "7. 最近邻",
        "step_neighbours_caption": "余弦相似度最高的 {count} 张图库图像及其目标框。",
        "classroom_examples": "教学示例",
        "hash_checkpoint": "哈希模型检查点（wlrh）",
        "hash_checkpoint_info": "由 python -m fgir train-hash 训练；文件位于 checkpoints/。",
        "checkpoint_label": "{name}：{bits} 位，{feature}，{backbone}",
        "checkpoint_regions": "区域 {regions}",
        "checkpoint_itq": "CroW 描述子上的 ITQ",
        "checkpoint_map": "，验证集 mAP {value:.4f}",
        "code_bits": "查询图像的哈希码（{bits} 位）：`{code}`。结果标题给出各结果的汉明距离 d_H；局部区域以蓝色框显示。",
        "download_accordion": "下载 CUB-200-2011",
        "download_intro": (
            "从官方来源下载 CUB-200-2011（1.1 GB），校验大小和 MD5 后解压，并作为图库加载。下载中断后再次点击按钮即可断点续传。"
            "只保留前若干个类别可以得到一个轻量的演示图库。"
        ),
        "download_dest": "目标文件夹",
        "download_classes": "保留的类别数（0 = 全部 200 类）",
        "download_url": "镜像 URL（--url，可选）",
        "download_md5": "镜像 MD5（--md5，使用镜像 URL 时必填）",
        "download_button": "下载并加载",
        "download_stage_download": "正在下载 CUB-200-2011",
        "download_stage_verify": "正在校验 MD5",
        "download_stage_extract": "正在解压",
        "download_progress_bytes": "{stage}：{done:.0f} / {total:.0f} MiB",
        "download_progress_count": "{stage}：{done:,} 个文件",
        "download_reused": "{root} 已存在，因此未重新下载，直接加载。",
        "download_done": "已下载并加载 {root}。",
        "invalid_class_count": "类别数 {value} 无效。请输入 0（全部类别）或 1 到 200 之间的整数。",
        "need_class_count": "请输入要保留的类别数：0 表示全部类别，或 1 到 200 之间的整数。",
        "method_name_crow": "CroW（跨维度加权）",
        "method_name_gap": "全局平均池化（基线）",
        "method_name_gem": "GeM（广义均值池化，p = 3）",
        "method_name_kpga": "卷积核梯度聚合",
        "method_name_mac": "MAC（全局最大池化）",
        "method_name_rmac": "R-MAC（区域最大池化，L = 3）",
        "method_name_scda": "SCDA（选择性聚合，最后一层特征图）",
        "method_name_scda_flip": "SCDA_flip+（两层特征图，原图与镜像）",
        "method_name_spoc": "SPoC（求和池化，高斯中心先验）",
        "method_name_wlrh": "加权局部区域哈希（有监督）",
        "method_name_wmtl": "加权图目标定位",
        "backbone_name_mobilenet_v2": "MobileNetV2（离线 ImageNet 权重）",
        "backbone_name_resnet18": "ResNet-18",
        "backbone_name_resnet50": "ResNet-50",
        "backbone_name_vgg16": "VGG-16",
    },
}


def translate(language: str, key: str, **params: object) -> str:
    """Return the text for ``key`` in ``language`` (English when the language is unknown), formatted with ``params``."""
    table = TEXT.get(language, TEXT[DEFAULT_LANGUAGE])
    template = table.get(key, TEXT[DEFAULT_LANGUAGE][key])
    return template.format(**params) if params else template


def method_name(language: str, method_id: str) -> str:
    """Return the display name of a registered method in ``language``."""
    return translate(language, f"method_name_{method_id}")


def backbone_name(language: str, backbone_id: str) -> str:
    """Return the display name of a registered backbone in ``language``."""
    return translate(language, f"backbone_name_{backbone_id}")


def language_from_header(accept_language: str | None) -> str:
    """Pick 'zh' or 'en' from an HTTP Accept-Language header, by the first language listed that we have."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()
        if code.startswith("zh"):
            return "zh"
        if code.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE
