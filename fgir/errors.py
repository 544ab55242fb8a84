"""Exceptions that carry a message fit to show a user as it is.

The CLI prints ``str(error)``, the English text, on one line and exits non-zero. The app shows
``error.localized(language)`` in its status box. An error built from a :class:`Message` renders
in every UI language from the catalog in :mod:`fgir.messages`. An error built from a plain
string, which only command-line code raises, stays English.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Message:
    """A user-facing message: its catalog key and the values of its placeholders."""

    key: str
    params: dict[str, object] = field(default_factory=dict)

    def render(self, language: str = DEFAULT_LANGUAGE) -> str:
        """Format the template of ``language``; nested messages and errors render in the same language."""
        from fgir.messages import render_message  # The catalog imports this module's names.

        return render_message(self, language)

    def __str__(self) -> str:
        return self.render()


def msg(key: str, **params: object) -> Message:
    """Build the message ``key`` with its placeholder values, e.g. ``msg("image.not_found", path=path)``."""
    return Message(key, params)


class FgirError(Exception):
    """Base class of every error whose message names the bad value and the fix."""

    def __init__(self, message: str | Message) -> None:
        self.message = message
        super().__init__(str(message))

    def localized(self, language: str) -> str:
        """Return the message in ``language``; a plain-string message is returned as it is."""
        if isinstance(self.message, Message):
            return self.message.render(language)
        return str(self)


class ImageLoadError(FgirError):
    """An image file is missing, unreadable, truncated, not an image or too large."""


class WeightsUnavailableError(FgirError):
    """Pretrained weights for a backbone are neither on disk nor downloadable."""


class GalleryError(FgirError):
    """A gallery root is missing, empty or has inconsistent metadata."""


class CacheError(FgirError):
    """A gallery cache entry cannot be written."""


class UnknownNameError(FgirError):
    """A method or backbone id is not registered."""
