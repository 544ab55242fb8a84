"""Error message catalog: both languages complete, and every UI-reachable error raised from it."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import string
from pathlib import Path

import pytest

import fgir
from fgir.errors import FgirError, ImageLoadError, msg
from fgir.messages import CATALOG

PACKAGE_ROOT = Path(fgir.__file__).resolve().parent
# Command-line code whose messages name CLI options. Its errors reach a terminal, never the browser UI.
CLI_ONLY = ("commands/", "space_export.py")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _sources() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(PACKAGE_ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(PACKAGE_ROOT.rglob("*.py"))
    ]


def _error_class_names() -> set[str]:
    for module in pkgutil.walk_packages(fgir.__path__, "fgir."):
        importlib.import_module(module.name)
    names, pending = set(), [FgirError]
    while pending:
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return names


def _called_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
    return None


def test_every_key_in_both_languages() -> None:
    assert sorted(set(CATALOG["en"]) - set(CATALOG["zh"])) == []
    assert sorted(set(CATALOG["zh"]) - set(CATALOG["en"])) == []


@pytest.mark.parametrize("key", sorted(CATALOG["en"]))
def test_placeholders_match(key: str) -> None:
    assert _fields(CATALOG["zh"][key]) == _fields(CATALOG["en"][key])


@pytest.mark.parametrize("key", sorted(CATALOG["en"]))
def test_templates_format(key: str) -> None:
    for language in CATALOG:
        values = {name: 1 for name in _fields(CATALOG[language][key])}
        assert CATALOG[language][key].format(**values)


def test_chinese_templates_contain_chinese() -> None:
    han = re.compile(r"[\u4e00-\u9fff]")
    untranslated = sorted(key for key, template in CATALOG["zh"].items() if not han.search(template))
    assert untranslated == []


def test_code_uses_only_catalog_keys() -> None:
    used: set[str] = set()
    for _, tree in _sources():
        for node in ast.walk(tree):
            if _called_name(node) == "msg" and node.args and isinstance(node.args[0], ast.Constant):
                used.add(node.args[0].value)
    assert sorted(used - set(CATALOG["en"])) == [], "msg() keys missing from fgir.messages"
    assert sorted(set(CATALOG["en"]) - used) == [], "catalog keys no code uses"


def test_ui_reachable_errors_use_catalog() -> None:
    error_classes = _error_class_names()
    plain: list[str] = []
    for relative, tree in _sources():
        if relative.startswith(CLI_ONLY):
            continue
        for node in ast.walk(tree):
            # Every construction counts, also an error built by a helper and raised elsewhere.
            if _called_name(node) not in error_classes:
                continue
            # A helper named *_message builds a Message from several keys.
            callee = _called_name(node.args[0]) if node.args else None
            if callee is None or not (callee == "msg" or callee.endswith("_message")):
                plain.append(f"{relative}:{node.lineno}")
    assert plain == [], "errors raised with a plain string, so the Chinese UI would show English"


def test_error_localizes_nested_message() -> None:
    inner = ImageLoadError(msg("image.not_found", path="a.jpg"))
    outer = FgirError(msg("image.corrupt", path="b.jpg", reason=inner))
    assert "a.jpg" in str(outer)
    assert "找不到图像" in outer.localized("zh")
    assert outer.localized("fr") == str(outer)


def test_plain_string_error_stays_as_is() -> None:
    assert FgirError("Use --flip.").localized("zh") == "Use --flip."
