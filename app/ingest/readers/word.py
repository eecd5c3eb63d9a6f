"""Word reader: .docx paragraphs and table cells, via python-docx."""

from __future__ import annotations

from pathlib import Path

from app.ingest.model import Extracted, Skip
from app.ingest.readers.common import MB, check_size, first_line, require_text, shorten

EXTENSIONS = (".docx",)


def read_docx(path: Path, *, max_bytes: int) -> Extracted:
    """Read a .docx: body paragraphs and table cells in document order; title and date from properties."""
    check_size(path, max_bytes)
    _check_expansion(path, max_bytes)
    # python-docx costs ~0.15 s to import: only runs that meet a .docx pay it.
    import docx

    document = docx.Document(str(path))
    lines: list[str] = []
    _collect(document, lines)
    text = require_text("\n".join(lines))
    props = document.core_properties
    created = props.created
    return Extracted(
        kind="text",
        title=shorten(props.title or "") or first_line(text) or path.stem,
        text=text,
        date=created.date().isoformat() if created is not None else None,
        meta={"author": props.author} if props.author else {},
    )


# A .docx is a zip: a 612 KB file can claim gigabytes of XML (a zip bomb, 1.4 GB of memory in the audit).
# The sizes the zip directory declares are what zipfile will let each member expand to, so checking
# them before parsing is enough.
MAX_EXPANSION = 100


def _check_expansion(path: Path, max_bytes: int) -> None:
    """Raise ``Skip`` when the zip's members would expand past the size limit (or 100× the file)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile as exc:
        raise ValueError(f"not a valid .docx (zip) file: {exc}") from exc
    size = path.stat().st_size
    limit = min(max_bytes, max(MAX_EXPANSION * size, 20 * MB))
    if total > limit:
        raise Skip(f"expands to {total / MB:.0f} MB when unzipped (limit {limit / MB:.0f} MB): a zip bomb or "
                   "an unusually large document")


def _collect(container, lines: list[str]) -> None:
    """Append the text of every paragraph under ``container`` (a document or a cell), tables included."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for block in container.iter_inner_content():
        if isinstance(block, Paragraph):
            if block.text.strip():
                lines.append(block.text)
        elif isinstance(block, Table):
            # A merged cell is returned once per grid column it spans; read it once. The set holds the
            # XML elements themselves (not their id()s, which lxml recycles once a proxy is freed).
            seen: set = set()
            for row in block.rows:
                for cell in row.cells:
                    if cell._tc in seen:
                        continue
                    seen.add(cell._tc)
                    _collect(cell, lines)
