"""A self-contained HTML report of a result list: thumbnails inlined, snippets marked, no scripts."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from app.provenance import provenance_in_words
from app.search.snippets import mark_spans

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}
table.prov td{padding:0 1em 0 0;color:#555;font-size:13px}
.hit{display:flex;gap:14px;border-top:1px solid #ddd;padding:12px 0}
.hit img{width:96px;height:96px;object-fit:cover;border-radius:4px}
.meta{color:#666;font-size:13px} mark{background:#fff0a0} .terms{color:#246;font-size:13px}
"""


def escape(text: str) -> str:
    """HTML-escape a text (attribute-safe: quotes too)."""
    return html.escape(text or "", quote=True)


def _thumb(path: str) -> str:
    if not path or not Path(path).exists():
        return ""
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f'<img alt="" src="data:image/jpeg;base64,{data}">'


def _link(path: str) -> str:
    """The path as a link that opens the file (file:// URI); a relative path stays plain text."""
    if not path or not Path(path).is_absolute():
        return escape(path)
    return f'<a href="{escape(Path(path).as_uri())}">{escape(path)}</a>'


def _marked(snippet: str, spans) -> str:
    return mark_spans(snippet, spans, "<mark>", "</mark>", escape)


def render_html(response, prov: dict, row_of) -> str:
    """The HTML report text; every value from files is escaped."""
    parts = [
        "<!doctype html><meta charset='utf-8'>",
        f"<title>Lexiscope: {escape(response.query)}</title><style>{_STYLE}</style>",
        f"<h1>Results for “{escape(response.query)}”</h1><table class='prov'>",
    ]
    for label, text in provenance_in_words(prov):
        parts.append(f"<tr><td>{escape(label)}</td><td>{escape(text)}</td></tr>")
    parts.append("</table>")
    for r in response.results:
        row = row_of(r)
        terms = f"<div class='terms'>why: {escape(row['terms'])}</div>" if row["terms"] else ""
        parts.append(
            f"<div class='hit'>{_thumb(r.thumb)}<div><b>{r.rank}. {escape(r.title)}</b>"
            f"<div class='meta'>{escape(r.kind)} · {escape(r.date or '')} · score {r.score:.4f} · "
            f"{_link(r.path)}</div><div>{_marked(r.snippet, r.highlights)}</div>{terms}</div></div>"
        )
    return "\n".join(parts) + "\n"
