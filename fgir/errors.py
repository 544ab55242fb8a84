"""Exceptions that carry a message fit to show a user as it is.

The CLI prints ``str(error)`` on one line and exits non-zero; the app shows it in the status box.
"""


class FgirError(Exception):
    """Base class of every error whose message names the bad value and the fix."""


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
