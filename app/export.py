"""Exports of a result list (CSV, JSONL, Markdown, HTML) with provenance, safe for spreadsheets."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path

from app import __version__
from app.provenance import provenance_in_words
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


def sidecar_path(path: Path) -> Path:
    """Where a CSV export's provenance goes: ``NAME.provenance.json`` beside ``NAME.csv``.

    A CSV has no place for comments that every reader skips, so the first line stays the header and the
    provenance lives beside it.
    """
    path = Path(path)
    return path.with_name(path.stem + ".provenance.json")


def render(response: SearchResponse, fmt: str, index_info: dict | None = None) -> str:
    """The export as text in format ``fmt`` (one of FORMATS); for CSV, see :func:`sidecar_path`."""
    prov = provenance(response, index_info)
    if fmt == "csv":
        buf = io.StringIO()
        # First line the header, every other line a result: csv.DictReader and pandas.read_csv read it
        # with no options. Provenance goes in the sidecar file (write()).
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
        out += [f"- **{_md(k)}**: {_md(v)}" for k, v in provenance_in_words(prov)]
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
    """Escape text for a Markdown table cell: never a link, image or HTML.

    Titles and snippets come from the user's documents; a document holding ``[x](javascript:…)`` must
    not become a clickable link in the export. Brackets are escaped, so no link syntax survives.
    """
    text = cell(value).replace("\n", " ").replace("|", "\\|")
    text = text.replace("[", "\\[").replace("]", "\\]")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8", newline="")
    tmp.replace(path)


def write(response: SearchResponse, fmt: str, path: Path, index_info: dict | None = None) -> Path:
    """Write the export to ``path`` (atomically) and return it; a CSV gets its provenance sidecar."""
    path = Path(path)
    _write_atomic(path, render(response, fmt, index_info))
    if fmt == "csv":
        prov = provenance(response, index_info)
        _write_atomic(sidecar_path(path), json.dumps({"export": path.name, "provenance": prov}, indent=2,
                                                     ensure_ascii=False) + "\n")
    return path


# File extensions that name a format (the canonical one first is FORMATS' own name).
_EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "json": "jsonl", "md": "md", "markdown": "md", "html": "html",
               "htm": "html"}


def format_for(path: Path, fmt: str | None) -> str:
    """The export format: explicit, else from the file extension (CSV when it names none)."""
    if fmt:
        return fmt
    return _EXTENSIONS.get(Path(path).suffix.lower().lstrip("."), "csv")


def target_for(path: str | Path, chosen: str | None) -> tuple[Path, str]:
    """Where a save dialog's answer writes, and in which format.

    A typed extension that names a format wins over the dialog's selected filter ("report.html" with
    the CSV filter selected is an HTML report, as every desktop app does); with no such extension the
    filter's format is used and its extension added.
    """
    path = Path(path)
    typed = _EXTENSIONS.get(path.suffix.lower().lstrip("."))
    if typed:
        return path, typed
    fmt = chosen or "csv"
    return path.with_name(f"{path.name}.{fmt}"), fmt
