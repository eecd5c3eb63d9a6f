"""Paths to bundled resources (icons, styles, the sample collection)."""

from __future__ import annotations

import sys
from pathlib import Path


def _find_resources() -> Path:
    """The resources folder: ``resources/`` beside the sources (a checkout or an editable install),
    ``app/_resources`` in an installed wheel (pyproject maps it there), or ``resources/`` inside a
    PyInstaller bundle."""
    here = Path(__file__).resolve().parent
    candidates = [here.parent / "resources", here / "_resources"]
    bundle_root = getattr(sys, "_MEIPASS", None)  # PyInstaller's bundle root, when frozen
    if bundle_root:
        candidates.append(Path(bundle_root) / "resources")
    for folder in candidates:
        if (folder / "icons").is_dir():
            return folder
    return candidates[0]


RESOURCES = _find_resources()


def resource(*parts: str) -> Path:
    """A path under ``resources/``."""
    return RESOURCES.joinpath(*parts)


def sample_collection() -> Path:
    """The small public-domain sample collection shipped with the app."""
    return resource("sample")
