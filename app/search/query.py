"""Query arithmetic, as rclip does it: ``beach +0.5 ./photo.jpg -crowd``.

A query is a list of weighted terms. A term is text or an image file. ``+`` and ``-`` at the start of
a word begin a new term (added or subtracted); a bare number after ``+``/``-`` (``+0.5``) is the weight of
the term that follows. Words that are existing image files (``./photo.jpg``, ``~/x.png``) are image terms.
Plain text with no operators is a single term, so "covid-19 in well-known cities" stays one query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from app.ingest.kinds import is_image_name
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


@dataclass(frozen=True)
class Term:
    """One weighted part of a query: text or an image path."""

    weight: float
    text: str = ""
    image: Path | None = None


def _image_path(token: str) -> Path | None:
    if not is_image_name(token):
        return None
    path = Path(token).expanduser()
    return path if path.is_file() else None


def has_words(query: str) -> bool:
    """Whether ``query`` holds anything to search for: at least one letter or digit ("???" or '"  "' does not;
    the meaning models would still rank every passage against it, a list of noise)."""
    return re.search(r"\w", query) is not None


def parse(query: str, image: Path | str | None = None) -> list[Term]:
    """The weighted terms of ``query`` (plus ``image`` as a term of weight 1 when given)."""
    terms: list[Term] = []
    words: list[str] = []
    weight = 1.0

    def flush() -> None:
        if words:
            terms.append(Term(weight, " ".join(words)))
            words.clear()

    pending: float | None = None
    for token in query.split():
        if _NUMBER.match(token) and token[0] in "+-":
            flush()
            pending = float(token)
            weight = pending
            continue
        if token[0] in "+-" and len(token) > 1 and not _NUMBER.match(token):
            flush()
            sign = -1.0 if token[0] == "-" else 1.0
            weight = pending if pending is not None else sign
            token = token[1:]
        pending = None
        img = _image_path(token)
        if img is not None:
            flush()
            terms.append(Term(weight, image=img))
            weight = 1.0
            continue
        words.append(token)
    flush()
    if image is not None:
        terms.append(Term(1.0, image=Path(image)))
    return terms


def text_of(terms: list[Term]) -> str:
    """The positive text of a query: what the dense alignment aligns (the one definition of it)."""
    return " ".join(t.text for t in terms if t.text and t.weight > 0)


def lexical_text(terms: list[Term]) -> str:
    """The words BM25 looks for, snippets mark and the words-only explanation credits: the positive text,
    masked names left out."""
    from app.news.masking import MASK_TOKEN  # what masking puts where a name was

    return text_of(terms).replace(MASK_TOKEN, " ")


def name_words(path: Path) -> str:
    """The words of an image's file name that carry meaning ("chelsea the cat.jpg" -> "chelsea cat")."""
    from app.search.snippets import query_stems

    # Stop words ("the cat") would match every passage; keep the words that carry meaning.
    return " ".join(w for w in re.findall(r"[^\W\d_]{2,}", Path(path).stem) if query_stems(w))


def images_as_names(terms: list[Term]) -> tuple[list[Term], str | None]:
    """Image terms replaced by their file-name words (for an index searched without an image model),
    and a note saying so; ``(terms, None)`` when there is no image term."""
    images = [t for t in terms if t.image is not None]
    if not images:
        return terms, None
    out = [t if t.image is None else Term(t.weight, name_words(t.image)) for t in terms]
    out = [t for t in out if t.text or t.image is not None]
    words = ", ".join(name_words(t.image) or f"none in {t.image.name}" for t in images if t.image is not None)
    return out, f"No image model is installed: searched for the picture's file name words ({words})."
