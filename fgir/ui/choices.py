"""Choices of the app's dropdowns and checkbox groups, as (label, value) pairs in one UI language."""

from __future__ import annotations

from fgir.backbones import BACKBONES
from fgir.hashing.checkpoint import MODEL_ITQ, CheckpointSummary
from fgir.methods import METHODS
from fgir.ui.text import backbone_name, method_name, translate

SPLIT_CHOICES = ("auto", "train", "test", "all")


def method_choices(language: str, slow: bool = True) -> list[tuple[str, str]]:
    """Return (label, id) pairs of the registered methods; ``slow=False`` leaves out the slow ones."""
    return [
        (f"{method_name(language, method_id)} ({method_id})", method_id)
        for method_id, cls in sorted(METHODS.items())
        if slow or not cls.slow
    ]


def backbone_choices(language: str) -> list[tuple[str, str]]:
    return [(backbone_name(language, backbone_id), backbone_id) for backbone_id in BACKBONES]


def split_choices(language: str) -> list[tuple[str, str]]:
    return [(translate(language, f"split_{split}"), split) for split in SPLIT_CHOICES]


def checkpoint_choices(language: str, summaries: list[CheckpointSummary]) -> list[tuple[str, str]]:
    """Return (label, path) pairs for the hash checkpoint picker."""
    choices = []
    for summary in summaries:
        if summary.model == MODEL_ITQ:
            feature = translate(language, "checkpoint_itq")
        else:
            feature = translate(language, "checkpoint_regions", regions=summary.regions)
        label = translate(language, "checkpoint_label", name=summary.path.name, bits=summary.bits, feature=feature, backbone=summary.backbone)
        if summary.best_validation_map is not None:
            label += translate(language, "checkpoint_map", value=summary.best_validation_map)
        choices.append((label, str(summary.path)))
    return choices
