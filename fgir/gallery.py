"""Gallery sources: a CUB-200-2011 root in the official layout, or a folder of class subfolders."""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from fgir.errors import GalleryError, Message, msg

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
SPLITS = ("train", "test", "all")
FINGERPRINT_MODES = ("stat", "content")
_HASH_CHUNK_BYTES = 1 << 20
CUB_FILES = ("images.txt", "image_class_labels.txt", "train_test_split.txt", "classes.txt")


@dataclass(frozen=True)
class GalleryItem:
    """One gallery image. ``relpath`` is relative to the gallery's image folder; boxes are pixels."""

    relpath: str
    label: int
    class_name: str
    gt_box: tuple[float, float, float, float] | None = None  # [x0, y0, x1, y1], clipped to the image


@dataclass
class Gallery:
    """An ordered list of images with labels; the order is the tie-breaking order of every ranking."""

    image_root: Path
    items: list[GalleryItem]
    kind: str  # "cub" or "folder"
    split: str
    classes: tuple[int, int] | None = None
    # One message per image left out for inconsistent metadata, naming the image id and the file.
    excluded: list[str] = field(default_factory=list)
    # One message per kept image whose ground-truth box is unusable (its gt_box is None).
    box_problems: list[str] = field(default_factory=list)
    # How fingerprint() identifies a file: "stat" (size and mtime, the default) or "content"
    # (SHA-256 of the bytes, which survives copies and git clones that reset mtimes).
    fingerprint_mode: str = "stat"

    def path_of(self, item: GalleryItem) -> Path:
        return self.image_root / item.relpath

    def fingerprint(self, mode: str | None = None) -> str:
        """Hash every image's relative path, label, box and file identity, and the selection.

        ``mode`` (default: ``fingerprint_mode``) picks the file identity: "stat" uses size and
        mtime, "content" the SHA-256 of the file, which reads every image. Any added, removed,
        replaced or relabelled image changes either hash, so a stale cache is rebuilt.
        """
        mode = mode or self.fingerprint_mode
        if mode == "content":
            return self._content_fingerprint()
        if mode != "stat":
            raise GalleryError(msg("gallery.invalid_fingerprint_mode", mode=mode, choices=", ".join(FINGERPRINT_MODES)))
        digest = hashlib.sha256(f"{self.kind}|{self.split}|{self.classes}".encode())
        for item in self.items:
            stat = self.path_of(item).stat()
            digest.update(f"{item.relpath}|{stat.st_size}|{stat.st_mtime_ns}|{item.label}|{item.gt_box}\n".encode())
        return digest.hexdigest()

    def _content_fingerprint(self) -> str:
        digest = hashlib.sha256(f"content|{self.kind}|{self.split}|{self.classes}".encode())
        for item in self.items:
            file_hash = _file_sha256(self.path_of(item))
            digest.update(f"{item.relpath}|{file_hash}|{item.label}|{item.gt_box}\n".encode())
        return digest.hexdigest()

    def class_names(self) -> dict[int, str]:
        return {item.label: item.class_name for item in self.items}


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_HASH_CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_class_range(text: str | None) -> tuple[int, int] | None:
    """Parse '1-100' or '7' into an inclusive (first, last) class-id range; None keeps every class."""
    if text is None or text.strip() == "":
        return None
    parts = text.strip().split("-")
    try:
        numbers = [int(part) for part in parts]
    except ValueError:
        raise GalleryError(msg("gallery.class_range_not_numbers", text=text)) from None
    if len(numbers) == 1:
        numbers = numbers * 2
    if len(numbers) != 2 or numbers[0] < 1 or numbers[1] < numbers[0]:
        raise GalleryError(msg("gallery.class_range_out_of_order", text=text))
    return numbers[0], numbers[1]


def is_cub_root(path: Path) -> bool:
    return all((path / name).is_file() for name in CUB_FILES) and (path / "images").is_dir()


def open_gallery(path: str | Path, split: str | None = None, classes: str | tuple[int, int] | None = None) -> Gallery:
    """Open a CUB-200-2011 root or a folder of class subfolders.

    ``split`` defaults to 'train' for a CUB root (the official gallery) and 'all' for a folder,
    which has no split. ``classes`` ('1-100' or a tuple) keeps an inclusive range of class ids;
    for a folder, ids number the sorted subfolders from 1.
    """
    root = Path(path).expanduser().resolve()
    if root.is_file():
        raise GalleryError(msg("gallery.not_a_folder", root=root))
    if not root.is_dir():
        raise GalleryError(msg("gallery.folder_not_found", root=root))
    class_range = parse_class_range(classes) if isinstance(classes, str) or classes is None else classes
    if split is not None and split not in SPLITS:
        raise GalleryError(msg("gallery.invalid_split", split=split, choices=", ".join(SPLITS)))

    if is_cub_root(root):
        gallery = _open_cub(root, split or "train", class_range)
    else:
        if split not in (None, "all"):
            raise GalleryError(msg("gallery.split_needs_cub_root", split=split, root=root))
        gallery = _open_folder(root, class_range)
    if not gallery.items:
        if class_range:
            raise GalleryError(
                msg(
                    "gallery.no_images_in_classes",
                    root=root,
                    split=gallery.split,
                    first=class_range[0],
                    last=class_range[1],
                )
            )
        raise GalleryError(msg("gallery.no_images", root=root, split=gallery.split))
    logger.info("Opened %s gallery %s: %d images, split %s", gallery.kind, root, len(gallery.items), gallery.split)
    return gallery


def _read_table(path: Path, columns: int) -> dict[int, list[str]]:
    """Read '<id> <field> ...' lines into {id: fields}, rejecting malformed and duplicate ids."""
    table: dict[int, list[str]] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise GalleryError(msg("gallery.metadata_not_utf8", path=path, reason=error)) from error
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(maxsplit=columns - 1) if columns > 1 else line.split()
        if len(fields) != columns:
            raise GalleryError(
                msg(
                    "gallery.metadata_field_count",
                    path=path,
                    line_number=number,
                    expected=columns,
                    found=len(fields),
                    line=line,
                )
            )
        try:
            key = int(fields[0])
        except ValueError:
            raise GalleryError(
                msg("gallery.metadata_invalid_id", path=path, line_number=number, value=fields[0])
            ) from None
        if key in table:
            raise GalleryError(msg("gallery.metadata_duplicate_id", path=path, line_number=number, row_id=key))
        table[key] = fields[1:]
    return table


def _open_cub(root: Path, split: str, class_range: tuple[int, int] | None) -> Gallery:
    images = _read_table(root / "images.txt", 2)
    labels = _read_table(root / "image_class_labels.txt", 2)
    is_train = _read_table(root / "train_test_split.txt", 2)
    class_names = {key: value[0] for key, value in _read_table(root / "classes.txt", 2).items()}
    boxes_path = root / "bounding_boxes.txt"
    boxes = _read_table(boxes_path, 5) if boxes_path.is_file() else {}
    _check_class_range(class_range, set(class_names), root / "classes.txt")

    items: list[GalleryItem] = []
    problems: list[str] = []
    box_problems: list[str] = []
    seen_paths: dict[str, int] = {}
    for image_id in sorted(images):
        relpath = images[image_id][0]
        if image_id not in labels or image_id not in is_train:
            missing_in = "image_class_labels.txt" if image_id not in labels else "train_test_split.txt"
            problems.append(f"image id {image_id} ({relpath}) has no line in {missing_in}")
            continue
        try:
            label = int(labels[image_id][0])
        except ValueError:
            raise GalleryError(
                msg(
                    "gallery.invalid_class_id",
                    path=root / "image_class_labels.txt",
                    value=labels[image_id][0],
                    image_id=image_id,
                )
            ) from None
        if label not in class_names:
            problems.append(f"image id {image_id} ({relpath}) has class id {label}, which classes.txt does not list")
            continue
        if class_range and not class_range[0] <= label <= class_range[1]:
            continue
        if is_train[image_id][0] not in ("0", "1"):
            problems.append(f"image id {image_id} ({relpath}) has split flag {is_train[image_id][0]!r}; expected 0 or 1")
            continue
        if split != "all" and (is_train[image_id][0] == "1") != (split == "train"):
            continue
        if relpath in seen_paths:
            problems.append(f"image id {image_id}: file images/{relpath} is already listed as image id {seen_paths[relpath]}")
            continue
        seen_paths[relpath] = image_id
        if not (root / "images" / relpath).is_file():
            problems.append(f"image id {image_id}: file images/{relpath} is missing")
            continue
        box = _clipped_box(root / "images" / relpath, boxes.get(image_id))
        if image_id in boxes and box is not None and (box[2] <= box[0] or box[3] <= box[1]):
            box_problems.append(f"image id {image_id} ({relpath}): box {' '.join(boxes[image_id])} has no area inside the image")
            box = None
        items.append(GalleryItem(relpath, label, class_names.get(label, f"class {label}"), box))

    if problems:
        _warn_once("CUB root %s: excluded %d inconsistent images, e.g. %s", root, len(problems), "; ".join(problems[:3]))
    if box_problems:
        _warn_once("CUB root %s: ignored %d unusable boxes, e.g. %s", root, len(box_problems), "; ".join(box_problems[:3]))
    orphans = sorted((set(labels) | set(is_train) | set(boxes)) - set(images))
    if orphans:
        _warn_once("CUB root %s: %d ids in the metadata files are not in images.txt, e.g. %s", root, len(orphans), orphans[:5])
    return Gallery(root / "images", items, "cub", split, class_range, excluded=problems, box_problems=box_problems)


_warned: set[tuple[object, ...]] = set()
_warned_lock = threading.Lock()


def _warn_once(template: str, *args: object) -> None:
    """Log a metadata warning once per process; the app opens one root for several splits."""
    key = (template, *map(str, args))
    with _warned_lock:
        repeated = key in _warned
        _warned.add(key)
    logger.log(logging.DEBUG if repeated else logging.WARNING, template, *args)


def _check_class_range(class_range: tuple[int, int] | None, known_ids: set[int], source: Path | Message) -> None:
    """Reject a class range that reaches outside the class ids of ``source``."""
    if not class_range or not known_ids:
        return
    first, last = min(known_ids), max(known_ids)
    if class_range[0] < first or class_range[1] > last:
        raise GalleryError(
            msg(
                "gallery.class_range_outside",
                first=class_range[0],
                last=class_range[1],
                known_first=first,
                known_last=last,
                source=source,
            )
        )


def _clipped_box(path: Path, fields: list[str] | None) -> tuple[float, float, float, float] | None:
    """Convert CUB's 'x y width height' to [x0, y0, x1, y1] clipped to the image.

    Some official boxes run a pixel or more past the border; reading the image header is cheap.
    """
    if fields is None:
        return None
    try:
        x, y, width, height = (float(value) for value in fields)
    except ValueError:
        raise GalleryError(msg("gallery.invalid_box", box=" ".join(fields), path=path)) from None
    try:
        with Image.open(path) as image:
            image_width, image_height = image.size
    except (OSError, Image.DecompressionBombError) as error:
        # Indexing skips and reports an unreadable image; opening the gallery must not fail on it.
        logger.debug("No box for unreadable image %s: %s", path, error)
        return None
    x0, y0 = min(max(x, 0.0), image_width), min(max(y, 0.0), image_height)
    x1, y1 = min(max(x + width, 0.0), image_width), min(max(y + height, 0.0), image_height)
    return (x0, y0, x1, y1)


def _open_folder(root: Path, class_range: tuple[int, int] | None) -> Gallery:
    class_dirs = sorted(entry for entry in root.iterdir() if entry.is_dir() and not entry.name.startswith("."))
    source = msg("gallery.class_subfolders", count=len(class_dirs), root=root)
    _check_class_range(class_range, set(range(1, len(class_dirs) + 1)), source)
    items: list[GalleryItem] = []
    for label, class_dir in enumerate(class_dirs, start=1):
        if class_range and not class_range[0] <= label <= class_range[1]:
            continue
        for image_path in sorted(class_dir.rglob("*")):
            # Hidden folders inside a class (.ipynb_checkpoints, .thumbnails) hold copies, not samples.
            hidden = any(part.startswith(".") for part in image_path.relative_to(class_dir).parts)
            if image_path.is_file() and not hidden and image_path.suffix.lower() in IMAGE_SUFFIXES:
                items.append(GalleryItem(image_path.relative_to(root).as_posix(), label, class_dir.name))
    return Gallery(root, items, "folder", "all", class_range)
