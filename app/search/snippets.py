"""Snippets: the part of a passage that shows why it matched, with the matched words marked."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"\w+", re.UNICODE)

# Words that never deserve a highlight on their own.
_STOP = frozenset(
    "a an and are as at be but by for from has have in is it its of on or that the this to was were will with".split()
)


@lru_cache(maxsize=1)
def _stemmer():
    # snowballstemmer.stemmer("english") without the package's __init__, which builds all 35 languages'
    # stemmer classes (a twentieth of a cold words-only search) for the one used here.
    from app.lazy_import import defer_package_init

    defer_package_init("snowballstemmer")
    from snowballstemmer.english_stemmer import EnglishStemmer

    return EnglishStemmer()


def query_stems(query: str) -> set[str]:
    """Stems of the meaningful words of a query (what BM25 matched on)."""
    words = [w.lower() for w in _WORD.findall(query)]
    return set(_stemmer().stemWords([w for w in words if w not in _STOP]))


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


def match_spans(text: str, stems: set[str]) -> list[tuple[int, int]]:
    """Character spans of words in ``text`` whose stem is one of ``stems``."""
    if not stems:
        return []
    # Snowball changes at most the last letter of what it keeps of a word (y -> i, a dropped or added e:
    # hoping -> hope, happily -> happili), so a word can only have a stem if it begins with that stem less
    # its last letter (exceptions: Snowball's dying, lying, tying -> die, lie, tie). A regex finds just the
    # words that begin so, without a Python step per word of the passage, and only those are stemmed (pure
    # Python): 3.3 ms per query for ten SciFact passages (200 test queries), 4.9 with two-letter heads, 11.9
    # stemming every word; the same spans all three ways. The regex may find more (case folding); the stem
    # test is the exact one.
    heads = frozenset(st[: max(2, len(st) - 1)] for st in stems)
    out = []
    for m in _candidates(heads).finditer(text):
        if _stem(m.group().lower()) in stems:
            out.append((m.start(), m.end()))
    return out


@lru_cache(maxsize=64)
def _candidates(heads: frozenset[str]) -> re.Pattern[str]:
    """Words (as _WORD finds them) that begin with one of ``heads``, ignoring case."""
    alternatives = "|".join(re.escape(h) for h in sorted(heads, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})\w*", re.UNICODE | re.IGNORECASE)


def make_snippet(text: str, spans: list[tuple[int, int]], width: int = 240) -> tuple[str, list[tuple[int, int]]]:
    """A window of about ``width`` characters around the densest cluster of ``spans``.

    Returns the snippet (whitespace folded, ellipses where cut) and the spans shifted into it.
    """
    if not spans:
        start, end = 0, min(len(text), width)
    else:
        # Pick the window start that covers the most matches.
        best, best_n = spans[0][0], 0
        for s, _ in spans:
            n = sum(1 for a, b in spans if s <= a and b <= s + width)
            if n > best_n:
                best, best_n = s, n
        start = max(0, best - width // 4)
        end = min(len(text), start + width)
        # Don't cut words in half.
        while start > 0 and not text[start - 1].isspace() and best - start < width // 2:
            start -= 1
        while end < len(text) and not text[end].isspace() and end - start < width + 20:
            end += 1
    out, mapped, pos = [], [], 0
    prefix = "…" if start > 0 else ""
    # Fold whitespace while keeping span offsets right: rebuild char by char.
    index_map = {}
    last_space = False
    for i in range(start, end):
        ch = text[i]
        if ch.isspace():
            if last_space:
                continue
            ch, last_space = " ", True
        else:
            last_space = False
        index_map[i] = len(prefix) + pos
        out.append(ch)
        pos += 1
    snippet = prefix + "".join(out).strip() + ("…" if end < len(text) else "")
    lead = len(prefix + "".join(out)) - len(prefix + "".join(out).lstrip()) if not prefix else 0
    for s, e in spans:
        if s >= start and e <= end and s in index_map and (e - 1) in index_map:
            mapped.append((index_map[s] - lead, index_map[e - 1] + 1 - lead))
    return snippet, mapped


def merge_spans(spans) -> list[tuple[int, int]]:
    """Sort spans and merge overlapping ones (highlights may overlap: query words and explanation terms)."""
    out: list[list[int]] = []
    for s, e in sorted((int(s), int(e)) for s, e in spans if e > s):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def mark_spans(text: str, spans, open_mark: str, close_mark: str, escape=lambda piece: piece) -> str:
    """``text`` with each of ``spans`` (character offsets; overlaps merged) between ``open_mark`` and
    ``close_mark``, every piece of the text passed through ``escape`` (HTML, or nothing for a terminal).

    The one span-marking helper: the window, the HTML export and the command line all mark with it.
    """
    text = text or ""
    out, pos = [], 0
    for s, e in merge_spans(spans):
        s, e = max(s, pos), min(e, len(text))
        if s >= e:
            continue
        out += [escape(text[pos:s]), open_mark, escape(text[s:e]), close_mark]
        pos = e
    out.append(escape(text[pos:]))
    return "".join(out)
