"""Exports of a result list (CSV, JSONL, Markdown, HTML) with provenance, safe for spreadsheets."""

from __future__ import annotations

import csv
import html
import io
import json
from datetime import datetime, timezone
from pathlib import Path

from app import __version__
from app.search.types import SearchResponse
from app.store import SCHEMA_VERSION

FORMATS = ("csv", "jsonl", "md", "html")
COLUMNS = ["rank", "score", "title", "path", "kind", "date", "snippet", "terms", "newspaper", "place"]

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """A value as spreadsheet-safe text: a leading formula character is escaped with a quote."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def provenance(response: SearchResponse, index_info: dict | None = None) -> dict:
    """Where a list came from: query, filters, time, app and index versions."""
    return {
        "query": response.query,
        "masked_query": response.masked_query,
        "mode": response.mode,
        "filters": response.filters.as_dict(),
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "app": f"lexiscope {__version__}",
        "index_schema_version": SCHEMA_VERSION,
        **(index_info or {}),
    }


def _terms(result) -> str:
    exp = result.explanation or {}
    return ", ".join(t["term"] for t in exp.get("terms", [])[:8])


def _row(result) -> dict:
    return {
        "rank": result.rank,
        "score": f"{result.score:.4f}",
        "title": result.title,
        "path": result.path,
        "kind": result.kind,
        "date": result.date,
        "snippet": result.snippet,
        "terms": _terms(result),
        "newspaper": result.meta.get("newspaper", ""),
        "place": result.meta.get("place", ""),
    }


def render(response: SearchResponse, fmt: str, index_info: dict | None = None) -> str:
    """The export as text in format ``fmt`` (one of FORMATS)."""
    prov = provenance(response, index_info)
    if fmt == "csv":
        buf = io.StringIO()
        # Provenance rides in leading comment rows so one file is self-describing.
        for key, value in prov.items():
            buf.write(f"# {key}: {cell(json.dumps(value) if isinstance(value, dict) else value)}\n")
        writer = csv.DictWriter(buf, fieldnames=COLUMNS)
        writer.writeheader()
        for r in response.results:
            writer.writerow({k: cell(v) for k, v in _row(r).items()})
        return buf.getvalue()
    if fmt == "jsonl":
        lines = [json.dumps({"provenance": prov}, ensure_ascii=False)]
        lines += [json.dumps(r.to_json(), ensure_ascii=False) for r in response.results]
        return "\n".join(lines) + "\n"
    if fmt == "md":
        out = [f"# Lexiscope results for “{_md(response.query)}”", ""]
        out += [f"- **{k}**: {_md(json.dumps(v) if isinstance(v, dict) else v)}" for k, v in prov.items()]
        out += ["", "| # | score | title | date | path | snippet |", "|---|---|---|---|---|---|"]
        for r in response.results:
            row = _row(r)
            out.append("| " + " | ".join(_md(row[c]) for c in ("rank", "score", "title", "date", "path", "snippet")) + " |")
        return "\n".join(out) + "\n"
    if fmt == "html":
        from app.export_html import render_html

        return render_html(response, prov, _row)
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _md(value) -> str:
    """Escape text for a Markdown table cell."""
    text = cell(value).replace("\n", " ").replace("|", "\\|")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def write(response: SearchResponse, fmt: str, path: Path, index_info: dict | None = None) -> Path:
    """Write the export to ``path`` (atomically) and return it."""
    path = Path(path)
    text = render(response, fmt, index_info)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8", newline="")
    tmp.replace(path)
    return path


def format_for(path: Path, fmt: str | None) -> str:
    """The export format: explicit, else from the file extension."""
    if fmt:
        return fmt
    ext = Path(path).suffix.lower().lstrip(".")
    return {"markdown": "md", "htm": "html", "json": "jsonl"}.get(ext, ext if ext in FORMATS else "csv")


def escape(text: str) -> str:
    """HTML-escape (used by the HTML report)."""
    return html.escape(text or "", quote=True)
