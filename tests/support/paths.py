"""Where the repository and the shared samples are."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def shared_dir() -> Path | None:
    """``$CONNECTOR_SHARED_DIR``, ``<repo>/../shared`` or ``/work/shared``; None if absent."""
    candidates = [os.environ.get("CONNECTOR_SHARED_DIR"), REPO.parent / "shared", "/work/shared"]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def era_samples_dir() -> Path | None:
    """The shared folder of public 835 samples, or None when it is not beside the checkout."""
    base = shared_dir()
    folder = base / "samples" / "era" if base else None
    return folder if folder and folder.is_dir() else None
