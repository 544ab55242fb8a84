"""Messages of the image loader, :mod:`fgir.imageio`."""

EN = {
    "image.not_found": "Image not found: {path}. Check the path.",
    "image.empty": "Image file is empty (0 bytes): {path}. Upload the image again or replace the file.",
    "image.not_an_image": "Not an image file: {path}. Use a JPEG, PNG, BMP, GIF, TIFF or WebP file.",
    "image.too_large": "Image too large: {path} exceeds {limit:,} pixels. Downscale it before using it.",
    "image.too_many_pixels": (
        "Image too large: {path} is {width}x{height} pixels, above the limit of {limit:,}. Downscale it before using it."
    ),
    "image.corrupt": "Image file is truncated or corrupt: {path} ({reason}). Re-export or replace it.",
    "image.no_pixels": "Image has no pixels: {path} is {width}x{height}. Replace the file.",
}

ZH = {
    "image.not_found": "找不到图像：{path}。请检查路径。",
    "image.empty": "图像文件为空（0 字节）：{path}。请重新上传或替换该文件。",
    "image.not_an_image": "不是图像文件：{path}。请使用 JPEG、PNG、BMP、GIF、TIFF 或 WebP 文件。",
    "image.too_large": "图像过大：{path} 超过 {limit:,} 像素。请先缩小图像再使用。",
    "image.too_many_pixels": "图像过大：{path} 为 {width}x{height} 像素，超过上限 {limit:,}。请先缩小图像再使用。",
    "image.corrupt": "图像文件不完整或已损坏：{path}（{reason}）。请重新导出或替换该文件。",
    "image.no_pixels": "图像没有像素：{path} 的尺寸为 {width}x{height}。请替换该文件。",
}
