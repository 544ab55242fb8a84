"""UI strings: every key exists in every language, and formatting works in each."""

from __future__ import annotations

import re
import string

import pytest

from fgir.ui.text import LANGUAGES, TEXT, language_from_header, translate


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_key_translated(language: str) -> None:
    missing = sorted(set(TEXT["en"]) - set(TEXT[language]))
    assert not missing, f"{language} lacks translations for: {missing}"
    extra = sorted(set(TEXT[language]) - set(TEXT["en"]))
    assert not extra, f"{language} has keys unknown in English: {extra}"


@pytest.mark.parametrize("key", sorted(TEXT["en"]))
def test_placeholders_match_across_languages(key: str) -> None:
    for language in LANGUAGES:
        assert _fields(TEXT[language][key]) == _fields(TEXT["en"][key]), f"{language}:{key}"


def test_chinese_strings_contain_chinese() -> None:
    han = re.compile(r"[\u4e00-\u9fff]")
    # Keys whose Chinese text is only field terms and punctuation.
    language_neutral = {"precision", "method_note", "backbone_name_resnet18", "backbone_name_resnet50", "backbone_name_vgg16", "download_progress_bytes", "compare_heading"}
    untranslated = [key for key, value in TEXT["zh"].items() if not han.search(value) and key not in language_neutral]
    assert not untranslated, f"zh strings without Chinese characters: {untranslated}"


def test_blocks_use_only_known_keys() -> None:
    from pathlib import Path

    source = (Path(__file__).resolve().parent.parent / "fgir" / "ui" / "blocks.py").read_text(encoding="utf-8")
    used = set(re.findall(r'(?:\bt|translate\(language,)\s*\(?\s*"([a-z_]+)"', source))
    used |= set(re.findall(r'labels\.add\([^\n]*?"([a-z_]+)"(?:, "(?:value|placeholder|info)")?\)', source))
    unknown = sorted(key for key in used if key not in TEXT["en"] and key not in ("value", "placeholder", "label", "info", "choices"))
    assert not unknown, f"blocks.py uses unknown text keys: {unknown}"


def test_every_method_and_backbone_named() -> None:
    from fgir.backbones import BACKBONES
    from fgir.methods import METHODS

    for language in LANGUAGES:
        for method_id in METHODS:
            assert f"method_name_{method_id}" in TEXT[language], f"{language} lacks a name for method {method_id}"
        for backbone_id in BACKBONES:
            assert f"backbone_name_{backbone_id}" in TEXT[language], f"{language} lacks a name for backbone {backbone_id}"


def test_method_names_keep_english_display_names() -> None:
    from fgir.backbones import BACKBONES
    from fgir.methods import METHODS

    for method_id, cls in METHODS.items():
        assert translate("en", f"method_name_{method_id}") == cls.display_name
    for backbone_id, spec in BACKBONES.items():
        assert translate("en", f"backbone_name_{backbone_id}") == spec.display_name


def test_translate_formats_parameters() -> None:
    assert translate("zh", "indexed", count=3, method="wmtl", backbone="vgg16") == "已用 `wmtl` 和 `vgg16` 为 3 张图像建立索引。"
    assert translate("en", "indexed", count=3, method="wmtl", backbone="vgg16") == "Indexed 3 images with `wmtl` on `vgg16`."


def test_unknown_language_falls_back_to_english() -> None:
    assert translate("fr", "search") == "Search"


@pytest.mark.parametrize(
    "header,expected",
    [("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("en-US,en;q=0.9", "en"), ("fr-FR,zh;q=0.5", "zh"), ("", "en"), (None, "en")],
)
def test_language_from_header(header: str | None, expected: str) -> None:
    assert language_from_header(header) == expected


def test_every_download_stage_has_text() -> None:
    from fgir.download import STAGE_DOWNLOAD, STAGE_EXTRACT, STAGE_VERIFY

    for language in LANGUAGES:
        for stage in (STAGE_DOWNLOAD, STAGE_VERIFY, STAGE_EXTRACT):
            assert f"download_stage_{stage}" in TEXT[language]


def test_checkpoint_choices_translated() -> None:
    from pathlib import Path

    from fgir.hashing.checkpoint import MODEL_ITQ, MODEL_NETWORK, CheckpointSummary
    from fgir.ui.choices import checkpoint_choices

    def summary(model: str, best: float | None) -> CheckpointSummary:
        return CheckpointSummary(Path(f"/ckpt/{model}.pt"), model, 48, "global+grid2x2", "mobilenet_v2", "w", 100, best)

    choices = checkpoint_choices("zh", [summary(MODEL_NETWORK, 0.7), summary(MODEL_ITQ, None)])

    assert choices[0] == ("hash-network.pt：48 位，区域 global+grid2x2，mobilenet_v2，验证集 mAP 0.7000", "/ckpt/hash-network.pt")
    assert choices[1] == ("itq.pt：48 位，CroW 描述子上的 ITQ，mobilenet_v2", "/ckpt/itq.pt")
