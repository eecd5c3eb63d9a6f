"""Paths to bundled resources (icons, styles, the sample collection)."""

from __future__ import annotations

from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    """A path under ``resources/``."""
    return RESOURCES.joinpath(*parts)


def sample_collection() -> Path:
    """The small public-domain sample collection shipped with the app."""
    return resource("sample")
