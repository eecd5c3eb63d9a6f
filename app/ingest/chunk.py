"""Cutting document text into passages of about ``target`` characters, as offsets into the text.

Passages end at the strongest boundary available: a blank line (paragraph), then a sentence end,
then a line break, then any whitespace; a single "word" longer than ``hard_max`` (a URL, a base64
blob) is cut blindly. Offsets always refer to the original text, so a hit can be highlighted in place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.ingest.model import Segment

# Separators from strongest to weakest. Each regex matches the gap *between* two units.
_LEVELS = (
    re.compile(r"\n[^\S\n]*\n\s*"),  # blank line (form feeds between PDF pages count as blank)
    # Sentence end: whitespace after . ! ? (a closing quote or bracket stays with its sentence), or
    # right after a CJK full stop, which is not followed by a space. The gap is the group; matching the
    # stop itself (not a look-behind at every position) lets the engine skip to the next stop: 3x faster.
    re.compile(r"[.!?…][\"'”’»)\]]?(\s+)|[。！？](\s*)"),
    re.compile(r"\s*\n\s*"),  # line break
    re.compile(r"\s+"),  # any whitespace
)
# A passage this much smaller than ``target`` is merged with a neighbour if the result fits ``hard_max``,
# so a short heading or a stray line does not become a passage of its own.
_TINY_FRACTION = 4


def split_passages(text: str, target: int = 1000, hard_max: int = 1500) -> list[tuple[int, int]]:
    """Cut ``text`` into (start, end) passages of about ``target`` characters, never over ``hard_max``."""
    if target < 1 or hard_max < target:
        raise ValueError(f"need 1 <= target <= hard_max, got target={target}, hard_max={hard_max}")
    span = _trim(text, 0, len(text))
    if span is None:
        return []
    return _split(text, span[0], span[1], 0, target, hard_max)


def split_segments(
    text: str,
    segments: Sequence[Segment] | None,
    target: int = 1000,
    hard_max: int = 1500,
) -> list[tuple[int, int]]:
    """Like ``split_passages``, but no passage crosses a segment boundary (e.g. between articles).

    Text outside every segment (a masthead between articles) is split too, so nothing searchable is
    lost; passages come back sorted by start. Overlapping segments are clipped to their predecessor.
    """
    if not segments:
        return split_passages(text, target, hard_max)
    bounds: list[int] = [0]
    for segment in sorted(segments, key=lambda s: (s.start, s.end)):
        start = min(max(segment.start, bounds[-1]), len(text))
        end = min(max(segment.end, start), len(text))
        bounds += [start, end]
    bounds.append(len(text))
    passages: list[tuple[int, int]] = []
    for start, end in zip(bounds, bounds[1:]):
        if end > start:
            passages += [(start + s, start + e) for s, e in split_passages(text[start:end], target, hard_max)]
    return passages


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Shrink [start, end) to exclude surrounding whitespace; None if nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _units(text: str, start: int, end: int, level: int) -> list[tuple[int, int]]:
    """The trimmed pieces of text[start:end] between separators of the given strength."""
    units, position = [], start
    for match in _LEVELS[level].finditer(text, start, end):
        # A level with groups marks its gap by the group that matched (the sentence level).
        gap_start, gap_end = match.span(match.lastindex) if match.lastindex else match.span()
        if gap_start > position:
            units.append((position, gap_start))
        position = gap_end
    if end > position:
        units.append((position, end))
    return [u for u in (_trim(text, s, e) for s, e in units) if u is not None]


def _split(text: str, start: int, end: int, level: int, target: int, hard_max: int) -> list[tuple[int, int]]:
    """Split the trimmed span [start, end) using separators from ``level`` downwards."""
    if end - start <= target:
        return [(start, end)]
    if level == len(_LEVELS):
        # No whitespace left to cut at: equal blind cuts, each at most ``target`` long.
        cuts = -(-(end - start) // target)
        size = -(-(end - start) // cuts)
        return [(s, min(s + size, end)) for s in range(start, end, size)]
    units = _units(text, start, end, level)
    if len(units) <= 1:
        return _split(text, start, end, level + 1, target, hard_max)
    # Units too long to stand alone are split further; the rest are packed greedily.
    pieces: list[tuple[int, int]] = []
    for s, e in units:
        if e - s > hard_max:
            pieces += _split(text, s, e, level + 1, target, hard_max)
        else:
            pieces.append((s, e))
    return _pack(pieces, target, hard_max)


def _pack(pieces: list[tuple[int, int]], target: int, hard_max: int) -> list[tuple[int, int]]:
    """Join consecutive pieces while the joined span stays within ``target`` (tiny ones up to ``hard_max``)."""
    tiny = target // _TINY_FRACTION
    out: list[tuple[int, int]] = []
    for s, e in pieces:
        if out:
            last_s, last_e = out[-1]
            fits = e - last_s <= target
            rescues_tiny = last_e - last_s < tiny and e - last_s <= hard_max
            if fits or rescues_tiny:
                out[-1] = (last_s, e)
                continue
        out.append((s, e))
    # A tiny last piece (a closing line) joins the passage before it when that stays within hard_max.
    if len(out) > 1 and out[-1][1] - out[-1][0] < tiny and out[-1][1] - out[-2][0] <= hard_max:
        out[-2:] = [(out[-2][0], out[-1][1])]
    return out
