"""Readers: turn one file into an ``Extracted``, dispatching on the lower-case extension.

``read`` raises ``Skip`` for files deliberately not indexed (unsupported type, too large, empty,
binary junk, a scanned PDF) and any other exception for files that should have been readable but
are damaged; the pipeline records the first as "skipped" and the second as "failed".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.ingest.model import Extracted, Skip
from app.ingest.readers import html, images, pdf, text, word
from app.ingest.readers.images import make_thumbnail
from app.ingest.readers.news import reader_for as news_reader_for

Reader = Callable[..., Extracted]

# extension -> (kind, reader); one line per module keeps adding a format a one-line change.
_REGISTRY: dict[str, tuple[str, Reader]] = {}
for _module, _kind, _reader in (
    (text, "text", text.read_text),
    (html, "text", html.read_html),
    (pdf, "text", pdf.read_pdf),
    (word, "text", word.read_docx),
    (images, "image", images.read_image),
):
    for _ext in _module.EXTENSIONS:
        _REGISTRY[_ext] = (_kind, _reader)

# Newspaper formats (app.news) are recognised by folder layout or columns, so they are asked first.
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(_REGISTRY) | frozenset((".json", ".jsonl", ".parquet", ".csv", ".xml"))

__all__ = ["SUPPORTED_EXTENSIONS", "kind_for", "make_thumbnail", "read"]


def kind_for(path: Path) -> str | None:
    """The kind ("text", "image", "news") a file would be read as, or None when its type is unsupported."""
    entry = news_reader_for(Path(path)) or _REGISTRY.get(Path(path).suffix.lower())
    return entry[0] if entry else None


def read(path: Path, *, max_bytes: int) -> Extracted:
    """Read one file; raise ``Skip`` when it is deliberately not indexed."""
    path = Path(path)
    ext = path.suffix.lower()
    entry = news_reader_for(path) or _REGISTRY.get(ext)
    if entry is None:
        raise Skip(f"unsupported file type '{ext or '(no extension)'}'")
    return entry[1](path, max_bytes=max_bytes)
