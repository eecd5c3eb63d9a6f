"""HTML reader: visible text only, paragraph breaks kept as newlines."""

from __future__ import annotations

import re
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from app.ingest.model import Extracted
from app.ingest.readers.common import first_line, read_text_file, require_text, shorten

EXTENSIONS = (".html", ".htm", ".xhtml")

_INVISIBLE = ["script", "style", "noscript", "template", "head", "svg", "iframe", "object"]
# Elements that start a new line of text when rendered; everything else is inline.
_BLOCKS = frozenset(
    """address article aside blockquote body br caption dd details dialog div dl dt fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section
    summary table tbody td tfoot th thead tr ul""".split()
)
_PARAGRAPHS = frozenset("p div section article blockquote h1 h2 h3 h4 h5 h6 table ul ol dl pre".split())
# Deeper than any real page (browsers stop laying out at a few hundred levels).
MAX_DEPTH = 512
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*?(/?)>")
# Elements that never nest (void) or that the parser closes by itself: not counted as depth.
_FLAT = frozenset("""area base br col embed hr img input link meta source track wbr p li dt dd tr td th
    option""".split())
_SCRIPT = re.compile(r"<(script|style|template|noscript)\b.*?</\1\s*>", re.S | re.I)
_SPACES = re.compile(r"[ \t\r\f\v\n]+")
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


def read_html(path: Path, *, max_bytes: int) -> Extracted:
    """Read an HTML page: title from <title>, text without scripts, styles or templates."""
    markup, encoding = read_text_file(path, max_bytes)
    depth = nesting_depth(markup, stop_after=MAX_DEPTH)
    if depth > MAX_DEPTH:
        # Parsing deeply nested markup costs time quadratic in the depth (2.2 MB of nested <div>s took
        # 275 s); no real page nests this deep, so read its words without the structure instead.
        text = require_text(_plain(markup))
        return Extracted(kind="text", title=first_line(text) or path.stem, text=text,
                         meta={"encoding": encoding, "note": f"nested more than {MAX_DEPTH} levels deep (limit "
                               f"{MAX_DEPTH}): read as plain text, tags removed"})
    tree = LexborHTMLParser(markup)
    title_node = tree.css_first("title")
    title = shorten(title_node.text()) if title_node is not None else ""
    tree.strip_tags(_INVISIBLE)
    text = require_text(html_text(tree.body) if tree.body is not None else "")
    return Extracted(
        kind="text",
        title=title or first_line(text) or path.stem,
        text=text,
        meta={"encoding": encoding},
    )


def html_text(root) -> str:
    """Visible text under ``root``: source whitespace collapsed as a browser would, blocks on new lines."""
    parts: list[str] = []
    pending = 0  # newlines owed before the next text: 1 between blocks, 2 around paragraphs
    # An explicit stack instead of recursion: real-world pages can nest deeper than Python's limit.
    stack = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if node.is_text_node:
            chunk = _SPACES.sub(" ", node.text_content or "")
            if pending and not chunk.strip():
                continue
            if pending:
                parts.append("\n" * pending)
                chunk = chunk.lstrip()
                pending = 0
            parts.append(chunk)
            continue
        tag = node.tag
        if tag not in _BLOCKS:
            if not leaving:
                stack.extend((child, False) for child in reversed(list(node.iter(include_text=True))))
            continue
        if parts:
            pending = max(pending, 2 if tag in _PARAGRAPHS else 1)
        if tag == "pre":
            # Preformatted text keeps its own line breaks.
            parts.append("\n" * pending + node.text(deep=True))
            pending = 2
        elif not leaving and tag != "br":
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(list(node.iter(include_text=True))))
    lines = (line.strip() for line in "".join(parts).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def nesting_depth(markup: str, stop_after: int | None = None) -> int:
    """The deepest element nesting in ``markup``, counted from its tags in one linear scan; with
    ``stop_after``, the scan ends as soon as the depth passes it (a bomb is told from its first tags)."""
    depth = deepest = 0
    for match in _TAG.finditer(markup):
        closing, tag, self_closing = match.groups()
        if tag.lower() in _FLAT or self_closing:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
            if stop_after is not None and deepest > stop_after:
                break
    return deepest


def _plain(markup: str) -> str:
    """The words of markup without its tags, scripts and styles (for pages too deep to parse)."""
    import html as _html

    text = _TAG.sub(" ", _SCRIPT.sub(" ", markup))
    return _BLANK_LINES.sub("\n\n", "\n".join(" ".join(line.split()) for line in _html.unescape(text).split("\n"))).strip()
