"""Historical newspapers: readers, OCR clean-up, article splitting, entity masking, reprints, facets.

``reader_for`` is the hook the reader registry asks first: newspaper pages are recognised by their
folder layout (they are plain ``.txt`` or ALTO ``.xml``), article tables by their extension.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def reader_for(path: Path) -> tuple[str, Callable] | None:
    """(kind, reader) when ``path`` is a newspaper page or an article-record file, else None."""
    from app.news import pages, records

    path = Path(path)
    if path.suffix.lower() in (".txt", ".xml") and pages.page_layout(path):
        return "news", pages.read_page
    if path.suffix.lower() in records.EXTENSIONS:
        return "news", records.read_records
    return None


__all__ = ["reader_for"]
