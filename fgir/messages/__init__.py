"""Catalog of the messages that errors and notes show to users, in English and Simplified Chinese.

Each area of the library has a module here with two dicts, ``EN`` and ``ZH``, from message key
to :meth:`str.format` template. Keys start with the area's name (``image.``, ``gallery.`` …) so
that they stay unique across modules. Tests check that every key has both languages with the
same placeholders, and that every key the code uses exists. Field terms (CroW, SCDA, mAP, MD5,
Hamming distance) and values such as paths and command lines stay as they are in both
languages.
"""

from __future__ import annotations

import logging
from types import ModuleType

from fgir.errors import DEFAULT_LANGUAGE, FgirError, Message
from fgir.messages import archive, backbones, cache, download, evaluation, gallery, hashing, image, retrieval

logger = logging.getLogger(__name__)

_AREAS: tuple[ModuleType, ...] = (archive, backbones, cache, download, evaluation, gallery, hashing, image, retrieval)


def _merge(attribute: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for area in _AREAS:
        table: dict[str, str] = getattr(area, attribute)
        clashes = sorted(set(merged) & set(table))
        if clashes:
            raise RuntimeError(f"Message keys defined twice in fgir.messages: {clashes}")
        merged.update(table)
    return merged


CATALOG: dict[str, dict[str, str]] = {"en": _merge("EN"), "zh": _merge("ZH")}


def render_message(message: Message, language: str = DEFAULT_LANGUAGE) -> str:
    """Format ``message`` in ``language``, falling back to English for an unknown language or key."""
    table = CATALOG.get(language, CATALOG[DEFAULT_LANGUAGE])
    template = table.get(message.key) or CATALOG[DEFAULT_LANGUAGE].get(message.key)
    if template is None:
        # A missing key is a bug the tests catch; the user still gets the values rather than a crash.
        logger.error("Message key %r is not in the catalog", message.key)
        return f"{message.key}: {message.params}"
    params = {name: _localized_value(value, language) for name, value in message.params.items()}
    return template.format(**params)


def _localized_value(value: object, language: str) -> object:
    if isinstance(value, Message):
        return value.render(language)
    if isinstance(value, FgirError):
        return value.localized(language)
    return value
