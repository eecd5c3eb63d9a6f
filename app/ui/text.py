"""Rich text for labels, the delegate and the detail pane: everything from a file is escaped here.

A file name, an OCR line or a passage may contain ``<b>`` or ``&``; Qt would render them as markup.
Every piece of user or file text goes through :func:`esc` before it meets a tag.
"""

from __future__ import annotations

import html

from app.search.snippets import mark_spans


def esc(text: object) -> str:
    """HTML-escape any value for Qt rich text (quotes too, so it is safe inside attributes)."""
    return html.escape("" if text is None else str(text), quote=True)


def tooltip(text: object) -> str:
    """Tooltip text shown literally: Qt guesses rich text for anything that looks like a tag, so a path
    such as ``<b>bold</b>.txt`` is wrapped in a paragraph and escaped instead."""
    return f"<p style='white-space:pre-wrap'>{esc(text)}</p>"


def highlight(text: str, spans, open_tag: str = "<b>", close_tag: str = "</b>") -> str:
    """``text`` escaped, with ``spans`` (character offsets) wrapped in the given tags."""
    return mark_spans(text, spans, open_tag, close_tag, esc).replace("\n", "<br>")


def display_title(result) -> str:
    """The title to show: the document's, unless it has too few letters to mean anything (OCR debris)."""
    from pathlib import Path

    title = (result.title or "").strip()
    letters = 0
    for ch in title:  # stops at the third letter: titles can be long, and every painted row asks
        letters += ch.isalpha()
        if letters >= 3:
            return title
    return Path(result.path).name or title


def source_line(result) -> str:
    """Plain text: date, newspaper and place for news; date and folder otherwise."""
    meta = result.meta or {}
    parts = [result.date or ""]
    if result.kind == "news":
        parts += [meta.get("newspaper", ""), meta.get("place", "")]
    else:
        parts.append(result.folder)
    return " · ".join(p for p in parts if p)
