"""Exports of a result list (CSV, JSONL, Markdown, HTML) with provenance, safe for spreadsheets.

``EXPORT_FORMATS`` is the one list of formats: the command line's ``--format`` choices, the window's save
dialog filters and the file suffixes that choose a format all read it, so a new format is one entry here
(and its renderer). Importing this module is cheap (the CLI and the window read the list at start-up).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from app import __version__
from app.provenance import provenance_in_words

if TYPE_CHECKING:
    from app.search.types import SearchResponse

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
        "index_schema_version": _schema_version(),
        **(index_info or {}),
    }


def _schema_version() -> int:
    from app.store import SCHEMA_VERSION  # imported here: the store brings pyarrow, the format list does not

    return SCHEMA_VERSION


def _terms(result) -> str:
    terms = result.explanation.terms if result.explanation is not None else []
    return ", ".join(t.term for t in terms[:8])


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


def _csv(response: SearchResponse, prov: dict) -> str:
    buf = io.StringIO()
    # First line the header, every other line a result: csv.DictReader and pandas.read_csv read it
    # with no options. Provenance goes in the sidecar file (write()).
    writer = csv.DictWriter(buf, fieldnames=COLUMNS)
    writer.writeheader()
    for r in response.results:
        writer.writerow({k: cell(v) for k, v in _row(r).items()})
    return buf.getvalue()


def _jsonl(response: SearchResponse, prov: dict) -> str:
    lines = [json.dumps({"provenance": prov}, ensure_ascii=False)]
    lines += [json.dumps(r.to_json(), ensure_ascii=False) for r in response.results]
    return "\n".join(lines) + "\n"


def _markdown(response: SearchResponse, prov: dict) -> str:
    out = [f"# Lexiscope results for “{_md(response.query)}”", ""]
    out += [f"- **{_md(k)}**: {_md(v)}" for k, v in provenance_in_words(prov)]
    out += ["", "| # | score | title | date | path | snippet |", "|---|---|---|---|---|---|"]
    for r in response.results:
        row = _row(r)
        out.append("| " + " | ".join(_md(row[c]) for c in ("rank", "score", "title", "date", "path", "snippet")) + " |")
    return "\n".join(out) + "\n"


def _html(response: SearchResponse, prov: dict) -> str:
    from app.export_html import render_html

    return render_html(response, prov, _row)


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its name (``--format``), the file suffixes that choose it (the first is added to a
    name that has none), the save dialog's filter label, and its renderer."""

    name: str
    suffixes: tuple[str, ...]
    label: str
    render: Callable[[SearchResponse, dict], str]
    # CSV has no place for provenance that every reader skips: it goes in NAME.provenance.json beside it.
    provenance_beside: bool = False


EXPORT_FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("csv", ("csv",), "CSV spreadsheet (*.csv)", _csv, provenance_beside=True),
    ExportFormat("jsonl", ("jsonl", "json"), "JSON lines (*.jsonl)", _jsonl),
    ExportFormat("md", ("md", "markdown"), "Markdown (*.md)", _markdown),
    ExportFormat("html", ("html", "htm"), "HTML report (*.html)", _html),
)}
FORMATS = tuple(EXPORT_FORMATS)


def render(response: SearchResponse, fmt: str, index_info: dict | None = None) -> str:
    """The export as text in format ``fmt`` (one of FORMATS); for CSV, see :func:`sidecar_path`."""
    prov = provenance(response, index_info)
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return EXPORT_FORMATS[fmt].render(response, prov)


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
    if EXPORT_FORMATS[fmt].provenance_beside:
        prov = provenance(response, index_info)
        _write_atomic(sidecar_path(path), json.dumps({"export": path.name, "provenance": prov}, indent=2,
                                                     ensure_ascii=False) + "\n")
    return path


# File extensions that name a format.
_EXTENSIONS = {suffix: f.name for f in EXPORT_FORMATS.values() for suffix in f.suffixes}


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
