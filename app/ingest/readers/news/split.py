"""Cut a newspaper page's OCR into articles, using the cues a reader's eye uses.

Chronicling America page text has no blank lines: an article shows itself by a block of headline lines
(mostly capitals, short) after body text, by a rule line ("—", "-----", "* * *") or, in ALTO-derived text,
by a blank line between text blocks. A headline block followed by its decks ("Prosecutor Confers With …",
"O'MALLEY IN CHARGE.") stays one article: a piece with little body is merged into the one after it,
keeping the fullest headline block as the title.
"""

from __future__ import annotations

import re

from app.ingest.model import Segment

# A line is a headline when at least this share of its letters are capitals (datelines like
# "ALBANY, Jan. 6." fall below it) and it has at least a few letters and is not a long body line.
_CAPS_SHARE = 0.85
_MIN_LETTERS = 4
_MAX_HEADLINE_CHARS = 90
# An article needs this much body text (characters outside its headline lines) to stand alone.
MIN_BODY = 300
_RULE = re.compile(r"^\s*([-—–_=*~•.]\s*){1,}$")
_MAX_TITLE_LINES = 3


# Counting characters one by one in Python was most of pass 1's reading time. OCR lines are nearly all
# ASCII, where bytes.translate deleting every other byte counts in C (5x faster than a generator);
# other lines take the exact per-character path.
def _delete_all_but(keep) -> bytes:
    return bytes(i for i in range(256) if i > 127 or not keep(chr(i)))


_NOT_ALPHA = _delete_all_but(str.isalpha)
_NOT_UPPER = _delete_all_but(str.isupper)
_NOT_ALNUM = _delete_all_but(str.isalnum)


def _alnum_count(line: str) -> int:
    if line.isascii():
        return len(line.encode("ascii").translate(None, _NOT_ALNUM))
    return sum(c.isalnum() for c in line)


def _is_headline(line: str) -> bool:
    if len(line.strip()) > _MAX_HEADLINE_CHARS:
        return False
    if line.isascii():
        raw = line.encode("ascii")
        n_letters, n_upper = len(raw.translate(None, _NOT_ALPHA)), len(raw.translate(None, _NOT_UPPER))
    else:
        letters = [c for c in line if c.isalpha()]
        n_letters, n_upper = len(letters), sum(c.isupper() for c in letters)
    if n_letters < _MIN_LETTERS:
        return False
    return n_upper / n_letters >= _CAPS_SHARE


def split_articles(text: str) -> list[Segment] | None:
    """Article segments (title = headline) of a page, or None when the page shows no article structure."""
    # Each piece: [start, end, headline blocks (lists of lines), body chars]
    pieces: list[list] = [[0, 0, [], 0]]
    prev_kind = "body"
    pos = 0
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        start, end = pos, pos + len(line)
        pos += len(raw)
        current = pieces[-1]
        if not line.strip() or _RULE.match(line):
            if current[3] >= MIN_BODY:  # a rule or blank line after an article's body closes it
                pieces.append([end, end, [], 0])
            prev_kind = "break"
        elif _alnum_count(line) < _MIN_LETTERS:
            # Specks and stray letters: neither headline nor body, but they part two headline blocks
            # (a masthead's "PRICE ONE CENT." from the first headline under it).
            prev_kind = "noise"
            continue
        elif _is_headline(line):
            if prev_kind != "head":
                if current[3] >= MIN_BODY:
                    current = [start, start, [], 0]
                    pieces.append(current)
                current[2].append([])
            current[2][-1].append(line.strip())
            prev_kind = "head"
        else:
            current[3] += len(line)
            prev_kind = "body"
        pieces[-1][1] = end
    segments = [
        Segment(start=s, end=e, title=_title(blocks)) for s, e, blocks, _ in pieces if e > s and text[s:e].strip()
    ]
    if sum(1 for s in segments if s.title) < 2:
        return None  # no headline structure found: plain passages serve better
    return segments


def _title(blocks: list[list[str]]) -> str:
    # A piece may hold a masthead's capitals before its headline: the fullest block is the headline.
    if not blocks:
        return ""
    heads = max(blocks, key=lambda b: sum(len(x) for x in b[:_MAX_TITLE_LINES]))
    words = " ".join(heads[:_MAX_TITLE_LINES]).split()
    title = " ".join(words).strip(" ;:,.-—|'\"")
    return title.capitalize() if _is_headline(title[:_MAX_HEADLINE_CHARS]) else title


__all__ = ["MIN_BODY", "split_articles"]
