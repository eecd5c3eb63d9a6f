"""What a reader returns, and how it says a file is deliberately not indexed."""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("text", "image", "news")


class Skip(Exception):
    """The file is deliberately not indexed; ``str(exc)`` is the reason shown to the user."""


@dataclass
class Segment:
    """A pre-cut unit inside a document (a newspaper article), as a span of ``Extracted.text``."""

    start: int
    end: int
    title: str = ""


@dataclass
class Extracted:
    """The readable content and metadata of one file.

    ``text`` is the full extracted text (empty for images); passages are later cut from it and keep
    character offsets into it, so a hit can be highlighted in place. ``meta`` must be JSON-serialisable.
    """

    kind: str
    title: str
    text: str = ""
    date: str | None = None  # ISO date "YYYY-MM-DD" when known
    meta: dict = field(default_factory=dict)
    segments: list[Segment] | None = None
    # A file that holds many documents (an American Stories JSONL, a CSV of articles) returns one
    # Extracted per record here; each becomes its own document "<file>#<meta['record_id']>".
    records: list["Extracted"] | None = None
