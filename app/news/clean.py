"""OCR clean-up that remembers where every character came from.

Decision: the document text stored and shown to users is the ORIGINAL OCR (so snippets, highlights and
exports quote the page as printed and scanned); only what is embedded, entity-recognised and
MinHashed is the cleaned text. ``Cleaned.to_original`` maps a span of the cleaned text (an entity, a
masked span) back to the original, so anything found in clean text lands on the original characters.

What is cleaned, and why:
- hyphenation across line breaks ("gov-\\nernment" -> "government"): otherwise the encoder sees two
  non-words. Chronicling America text often drops the hyphen ("pur\\npose"); such a break is joined only
  when the joined word occurs unbroken elsewhere in the same text, so "to\\nday" joins but "in\\nthe" stays.
- stray symbols (OCR reads specks as ``| ^ ~ * •`` …): dropped.
- lines with fewer than two letters or digits (column rules, specks, "t", "I"): dropped.
- broken whitespace (line breaks inside sentences, runs of spaces): one space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters kept inside a token: letters and digits of any script, and punctuation that carries meaning.
_KEEP_PUNCT = set(".,;:!?'\"()-&$%/—–’‘“”")
_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"[^\W\d_]+")
_MIN_ALNUM_PER_LINE = 2


@dataclass
class Cleaned:
    """Cleaned text plus, per cleaned character, its index in the original text."""

    text: str
    offsets: list[int]  # len(text) + 1 entries; the last is len(original)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The original span covering cleaned ``text[start:end]``."""
        if end <= start:
            pos = self.offsets[min(start, len(self.text))]
            return pos, pos
        return self.offsets[start], self.offsets[end - 1] + 1


def _keep(ch: str) -> bool:
    return ch.isalnum() or ch in _KEEP_PUNCT


def clean_ocr(original: str) -> Cleaned:
    """Clean OCR text for embedding and matching; keeps a character map back to ``original``."""
    vocabulary = {w.lower() for w in _WORD.findall(original) if len(w) > 2}
    lines = []  # (start, end) of each kept line in the original
    pos = 0
    for raw in original.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        if sum(ch.isalnum() for ch in body) >= _MIN_ALNUM_PER_LINE:
            lines.append((pos, pos + len(body)))
        pos += len(raw)
    out: list[str] = []
    offs: list[int] = []
    glue = False  # the previous line ended in a broken word: continue it without a space
    for i, (ls, le) in enumerate(lines):
        tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(original, ls, le)]
        for j, (ts, te) in enumerate(tokens):
            last_of_page = j == len(tokens) - 1 and i + 1 < len(lines)
            drop_hyphen = last_of_page and _join_next(original, ts, te, lines[i + 1], vocabulary)
            if out and not glue:
                out.append(" ")
                offs.append(ts - 1 if ts > 0 else ts)
            glue = False
            stop = te - 1 if drop_hyphen == "hyphen" else te
            for k in range(ts, stop):
                if _keep(original[k]):
                    out.append(original[k])
                    offs.append(k)
            if drop_hyphen:
                glue = True
        if out and out[-1] == " ":
            out.pop()
            offs.pop()
    # Stray-symbol removal can leave a space after a dropped token: collapse double spaces.
    text, offsets = _collapse_spaces(out, offs)
    offsets.append(len(original))
    return Cleaned(text, offsets)


def _join_next(original: str, ts: int, te: int, nxt: tuple[int, int], vocabulary: set[str]) -> str:
    """How the token original[ts:te] at a line end continues onto the next line: "hyphen", "glue" or ""."""
    m = _TOKEN.search(original, nxt[0], nxt[1])
    if not m or not m.group()[0].islower():
        return ""
    head = original[ts:te]
    tail = _WORD.match(m.group())
    if tail is None:
        return ""
    if len(head) > 1 and head[-1] in "-¬" and head[-2].isalpha():
        return "hyphen"
    word = _WORD.search(head)
    if word is None or word.end() != len(head):
        return ""  # the token ends in punctuation: a sentence or clause ended, not a word
    joined = (word.group() + tail.group()).lower()
    return "glue" if joined in vocabulary else ""


def _collapse_spaces(chars: list[str], offs: list[int]) -> tuple[str, list[int]]:
    text_chars: list[str] = []
    offsets: list[int] = []
    for ch, off in zip(chars, offs):
        if ch == " " and (not text_chars or text_chars[-1] == " "):
            continue
        text_chars.append(ch)
        offsets.append(off)
    while text_chars and text_chars[-1] == " ":
        text_chars.pop()
        offsets.pop()
    return "".join(text_chars), offsets


__all__ = ["Cleaned", "clean_ocr"]
