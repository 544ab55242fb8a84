"""Status texts kept as text keys, so that a language switch can render them again.

A note is ``(key, params)`` for :func:`fgir.ui.text.translate`. A parameter value may be an
:class:`~fgir.errors.FgirError`, a library :class:`~fgir.errors.Message` or a :class:`UiText`;
each renders in the note's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fgir.errors import FgirError, Message
from fgir.ui.text import translate

Note = tuple[str, dict[str, object]]
NOTE_SEPARATOR = "\n\n"
HEADING_SEPARATOR = " · "


@dataclass(frozen=True)
class UiText:
    """A UI text key with its parameters, used as the value of a note parameter."""

    key: str
    params: dict[str, object] = field(default_factory=dict)


def error_note(error: FgirError | UiText | str) -> Note:
    """Wrap an error, a UI text or a plain string as an error line for a status box."""
    return ("error", {"message": error})


def render_notes(language: str, notes: Iterable[Note], separator: str = NOTE_SEPARATOR) -> str:
    """Render each note in ``language`` and join them with ``separator``."""
    return separator.join(
        translate(language, key, **{name: localized(value, language) for name, value in params.items()})
        for key, params in notes
    )


def localized(value: object, language: str) -> object:
    """Render an error, a library message or a UI text in ``language``; return other values as they are."""
    if isinstance(value, FgirError):
        return value.localized(language)
    if isinstance(value, Message):
        return value.render(language)
    if isinstance(value, UiText):
        params = {name: localized(item, language) for name, item in value.params.items()}
        return translate(language, value.key, **params)
    return value
