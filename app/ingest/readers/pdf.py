"""PDF reader: the text layer, via pypdfium2 (Apache/BSD; PyMuPDF is AGPL)."""

from __future__ import annotations

import bisect
import re
from pathlib import Path

import pypdfium2 as pdfium

from app.ingest.model import Extracted, Skip
from app.ingest.readers.common import check_size, first_line, shorten

EXTENSIONS = (".pdf",)

# Pages are joined with a form feed on its own line: it is whitespace (so passages and full-text search
# ignore it), it cannot occur in pdfium's text, and it marks the page break for anyone reading the text.
PAGE_SEPARATOR = "\n\f\n"
# pdfium reports some glyphs it cannot map as control characters (\x02 for a hyphen at a line end,
# kept as "-"; \x00 for unmapped glyphs); they would only pollute the index.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\ufffe\uffff]")
_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?")


def read_pdf(path: Path, *, max_bytes: int) -> Extracted:
    """Read a PDF's text layer; ``meta["page_offsets"]`` holds where each page starts in ``text``."""
    check_size(path, max_bytes)
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise ValueError(f"cannot open PDF (damaged or encrypted): {exc}") from exc
    try:
        if len(pdf) == 0:
            raise ValueError("PDF has no pages (damaged?)")
        pages = [_page_text(pdf, i) for i in range(len(pdf))]
        metadata = pdf.get_metadata_dict(skip_empty=True)
    finally:
        pdf.close()
    offsets, position = [], 0
    for page in pages:
        offsets.append(position)
        position += len(page) + len(PAGE_SEPARATOR)
    text = PAGE_SEPARATOR.join(pages)
    if not text.strip():
        raise Skip("no text layer (scanned PDF; OCR not supported yet)")
    title = shorten(metadata.get("Title", "")) or first_line(text) or path.stem
    return Extracted(
        kind="text",
        title=title,
        text=text,
        date=pdf_date(metadata.get("CreationDate", "")),
        meta={"pages": len(pages), "page_offsets": offsets},
    )


def _page_text(pdf: pdfium.PdfDocument, index: int) -> str:
    """One page's text with Unix newlines and pdfium's control characters removed."""
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            # get_text_bounded, unlike get_text_range, is not limited to UCS-2.
            text = textpage.get_text_bounded()
        finally:
            textpage.close()
    finally:
        page.close()
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x02", "-")
    return _CONTROLS.sub("", text).strip()


def page_of(offsets: list[int], position: int) -> int:
    """1-based page number holding character ``position``, given ``meta["page_offsets"]``."""
    return max(bisect.bisect_right(offsets, position), 1)


def pdf_date(value: str) -> str | None:
    """ISO date from a PDF date string such as ``D:20240131120000+01'00'``, or None."""
    match = _PDF_DATE.match(value.strip())
    if not match:
        return None
    year, month, day = match.group(1), match.group(2) or "01", match.group(3) or "01"
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31) or year == "0000":
        return None
    return f"{year}-{month}-{day}"
