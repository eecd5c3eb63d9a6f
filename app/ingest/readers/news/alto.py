"""Plain text from ALTO XML (the OCR format of Library of Congress batches), with a real XML parser.

Lines become lines; text blocks are separated by a blank line (an article-boundary cue for the
splitter); a word hyphenated across lines (``SUBS_TYPE="HypPart1"`` + ``HYP``) keeps its hyphen at the
line end, which the OCR clean-up then joins, exactly as for plain-text OCR.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from app.ingest.model import Skip


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def alto_text(data: bytes) -> str:
    """The text of an ALTO document; ``Skip`` for XML that is not ALTO, or declares entities."""
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in head:
        # ALTO never needs a DTD; refusing them rules out entity-expansion tricks before parsing.
        raise Skip("XML with a DTD or entity declarations is not read")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"malformed ALTO XML: {exc}") from exc
    if _local(root.tag).lower() != "alto":
        raise Skip("XML file that is not ALTO OCR")
    blocks: list[str] = []
    for block in root.iter():
        if _local(block.tag) != "TextBlock":
            continue
        lines = []
        for line in block:
            if _local(line.tag) != "TextLine":
                continue
            words: list[str] = []
            for item in line:
                tag = _local(item.tag)
                if tag == "String":
                    words.append(item.get("CONTENT", ""))
                elif tag == "HYP" and words:
                    words[-1] += item.get("CONTENT", "-") or "-"
            if words:
                lines.append(" ".join(w for w in words if w))
        if lines:
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


__all__ = ["alto_text"]
