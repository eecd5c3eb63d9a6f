"""Newspaper readers: Chronicling America pages (plain OCR text or ALTO XML) and article-record files.

``reader_for`` is the hook the reader registry asks first: newspaper pages are recognised by their
folder layout (they are plain ``.txt`` or ALTO ``.xml``), article tables by their extension. What is
done with the text afterwards (OCR clean-up, entities, reprints, facets) is ``app.news``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def reader_for(path: Path) -> tuple[str, Callable] | None:
    """(kind, reader) when ``path`` is a newspaper page or an article-record file, else None."""
    from app.ingest.readers.news import pages, records

    path = Path(path)
    if path.suffix.lower() in (".txt", ".xml") and pages.page_layout(path):
        return "news", pages.read_page
    if path.suffix.lower() in records.EXTENSIONS:
        return "news", records.read_records
    return None


__all__ = ["reader_for"]
