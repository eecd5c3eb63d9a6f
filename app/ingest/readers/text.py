"""Plain-text reader: .txt, .md, .rst in any common encoding."""

from __future__ import annotations

import re
from pathlib import Path

from app.ingest.model import Extracted
from app.ingest.readers.common import first_line, read_text_file, require_text, shorten

EXTENSIONS = (".txt", ".md", ".markdown", ".rst")

# An ATX heading ("# Title", "## Title ##"); only trusted in Markdown, where "#" means a heading.
_ATX = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
# Inline emphasis and code markers, which are markup rather than words of the title.
_EMPHASIS = re.compile(r"\*+|`+|(?<!\w)_+|_+(?!\w)")


def read_text(path: Path, *, max_bytes: int) -> Extracted:
    """Read a plain-text file, detecting its encoding; ``Skip`` for binary or empty content."""
    text, encoding = read_text_file(path, max_bytes)
    require_text(text)
    return Extracted(
        kind="text",
        title=text_title(text, path),
        text=text,
        meta={"encoding": encoding},
    )


def text_title(text: str, path: Path) -> str:
    """First Markdown heading (for .md), else the first non-empty line, else the file stem."""
    if path.suffix.lower() in (".md", ".markdown"):
        match = _ATX.search(text)
        heading = _EMPHASIS.sub("", match.group(1)) if match else ""
        if heading.strip():
            return shorten(heading)
    return first_line(text) or path.stem
