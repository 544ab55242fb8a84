"""Shared fixtures: real sample photos, a CUB root when available, temporary caches."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CUB_ENV = "FGIR_CUB_ROOT"
# Set by .ci/run when the CUB data sits beside the checkout: a missing root then fails instead of skipping.
REQUIRE_CUB_ENV = "FGIR_REQUIRE_CUB"


@pytest.fixture(scope="session")
def cub_root() -> Path:
    value = os.environ.get(CUB_ENV)
    if not value:
        if os.environ.get(REQUIRE_CUB_ENV) == "1":
            pytest.fail(f"{REQUIRE_CUB_ENV}=1 but {CUB_ENV} is not set")
        pytest.skip(f"{CUB_ENV} is not set: point it at a CUB-200-2011 root to run the CUB tests")
    root = Path(value)
    if not (root / "images.txt").is_file():
        pytest.fail(f"{CUB_ENV}={root} is not a CUB-200-2011 root (images.txt missing)")
    return root


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point FGIR_CACHE_DIR at a fresh folder so no test touches gallery_cache/."""
    folder = tmp_path_factory.mktemp("gallery_cache")
    monkeypatch.setenv("FGIR_CACHE_DIR", str(folder))
    return folder
