"""Small file helpers shared by weights and checkpoint loading."""

from __future__ import annotations

import hashlib
from pathlib import Path

_READ_BLOCK_BYTES = 1 << 20


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(_READ_BLOCK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()
