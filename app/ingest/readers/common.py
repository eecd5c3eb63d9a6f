"""Helpers shared by the readers: size limits, text decoding, titles."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import charset_normalizer

from app.ingest.model import Skip

MB = 1_000_000  # decimal megabytes, as file managers show and as the pipeline reports
TITLE_MAX = 120

# Byte-order marks, longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# charset_normalizer often cannot tell the Western code pages from their Central-European or Baltic
# siblings (they agree on most letters) and then returns cp1250 for a French cp1252 file, turning
# "crème" into "crčme". When the detector rates candidates equally, prefer the most common ones.
_PREFERRED = ("utf_8", "ascii", "cp1252", "latin_1", "iso8859_15")
# More than this share of control/unassigned characters means the bytes were never text.
_MAX_JUNK_RATIO = 0.02
# C0/C1 controls other than whitespace, non-characters and the replacement character: a regex keeps
# the check at C speed on large files.
_JUNK = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd\ufffe\uffff]")


def check_size(path: Path, max_bytes: int) -> int:
    """Raise ``Skip`` when the file is empty or over ``max_bytes``; return its size."""
    size = path.stat().st_size
    if size == 0:
        raise Skip("empty")
    if size > max_bytes:
        raise Skip(f"too large ({size / MB:.1f} MB > limit {max_bytes / MB:.0f} MB)")
    return size


# How much of a file is looked at before deciding it is binary: enough for charset detection, and it
# keeps a 190 MB file of NULs from being read whole (and decoded) before it is called binary.
SNIFF_BYTES = 64 * 1024


def sniff_text(path: Path) -> None:
    """Raise ``Skip`` when the start of ``path`` is binary, before the whole file is read."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head:
        raise Skip("empty")
    if not head.startswith(tuple(bom for bom, _ in _BOMS)) and b"\x00" * 8 in head:
        # Runs of NULs never occur in text, not even in UTF-16/32 without a BOM (one NUL per ASCII
        # letter there, at most three in a row).
        raise Skip("binary content, not text (NUL bytes in the first 64 KB)")
    if len(head) == SNIFF_BYTES:
        # Cut at a character boundary would fail a strict UTF-8 decode; the check is on the junk ratio.
        head = head[: head.rfind(b"\n") + 1] or head
    decode_text(head)  # raises Skip("binary content, not text") for junk


def read_text_file(path: Path, max_bytes: int) -> tuple[str, str]:
    """Size check, binary sniff on the first 64 KB, then the whole file decoded: (text, encoding)."""
    check_size(path, max_bytes)
    sniff_text(path)
    return decode_text(path.read_bytes())


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes of unknown encoding; return (text, encoding) or raise ``Skip`` for binary data."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data.decode(encoding, errors="replace")
            return _checked(text), encoding
    if b"\x00" not in data:
        try:
            return _checked(data.decode("utf-8")), "utf-8"
        except UnicodeDecodeError:
            pass
    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        raise Skip("binary content, not text")
    tied = [
        m for m in matches
        if m.chaos <= best.chaos + 1e-6 and m.coherence >= best.coherence - 1e-6
    ]
    for preferred in _PREFERRED:
        for match in tied:
            if match.encoding == preferred:
                best = match
                break
        else:
            continue
        break
    return _checked(str(best)), best.encoding


def _checked(text: str) -> str:
    """Return ``text`` with newlines normalised, or raise ``Skip`` if it is mostly non-text."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if text:
        junk = sum(1 for _ in _JUNK.finditer(text))
        if junk / len(text) > _MAX_JUNK_RATIO:
            raise Skip("binary content, not text")
    return text


def require_text(text: str) -> str:
    """Raise ``Skip("empty")`` when extraction produced no visible text."""
    if not text.strip():
        raise Skip("empty")
    return text


def shorten(line: str, limit: int = TITLE_MAX) -> str:
    """Collapse whitespace and cut ``line`` to ``limit`` characters at a word boundary."""
    line = " ".join(line.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


_HAS_WORD = re.compile(r"\w")


def first_line(text: str) -> str:
    """The first line that contains a letter or digit (skipping rules like ``=====``), shortened."""
    for line in text.splitlines():
        if _HAS_WORD.search(line):
            return shorten(line)
    return ""
