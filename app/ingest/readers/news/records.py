"""Article-record files: American Stories (.json/.jsonl/.parquet) and generic CSV/JSONL of articles.

Each file becomes ``Extracted(kind="collection", records=[Extracted(kind="news"), ...])``; the pipeline
turns every record into its own document ``<file>#<record_id>``.

Generic files map their columns through ``lexiscope-columns.json`` in the same folder (format in
docs/newspapers.md); without one, obvious column names are guessed (text/article/body, date,
title/headline, newspaper/source). A file with no recognisable text column is skipped with the reason.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path

from app.ingest.model import Extracted, Skip
from app.ingest.readers.common import check_size, read_text_file

MAPPING_FILE = "lexiscope-columns.json"
EXTENSIONS = (".json", ".jsonl", ".parquet", ".csv")
AMERICAN_STORIES = ("article_id", "newspaper_name", "article")
# Automatic guesses, most specific first; a mapping file overrides them.
GUESSES = {
    "text": ("text", "article", "body", "content", "ocr", "full_text", "fulltext"),
    "date": ("date", "pub_date", "publication_date", "issue_date", "published"),
    "title": ("title", "headline", "heading"),
    "newspaper": ("newspaper", "newspaper_name", "source", "paper", "publication"),
    "place": ("place", "city", "location", "place_of_publication"),
    "id": ("id", "article_id", "record_id", "_id"),
}
_DATE_FORMATS = ("%Y-%m-%d", "%b-%d-%Y", "%B-%d-%Y", "%b %d, %Y", "%B %d, %Y", "%d %B %Y", "%Y%m%d",
                 "%m/%d/%Y", "%Y/%m/%d", "%Y-%m-%dT%H:%M:%S")


def parse_date(value) -> str | None:
    """An ISO day from the date spellings found in newspaper datasets, or None."""
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", text):
        text = text[:10]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _rows(path: Path, max_bytes: int, bad: list[str] | None = None) -> list[dict]:
    """All rows of a .json (list of objects), .jsonl, .csv or .parquet file as dicts.

    JSONL and CSV are read record by record: a line that does not parse (or a CSV row with the wrong
    number of fields) is left out and described in ``bad`` with its line number, and the other
    records are kept (one bad line used to drop a whole file of good ones).
    """
    check_size(path, max_bytes)
    ext = path.suffix.lower()
    if ext == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    text, _ = read_text_file(path, max_bytes)
    bad = [] if bad is None else bad
    if ext == ".csv":
        return _csv_rows(text, bad)
    if ext == ".jsonl":
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                bad.append(f"line {number}: not JSON ({exc.args[0] if exc.args else exc})")
                continue
            if not isinstance(row, dict):
                bad.append(f"line {number}: not a JSON object")
                continue
            rows.append(row)
        return rows
    data = json.loads(text)
    if isinstance(data, dict):
        # {"articles": [...]} style wrappers: take the one list of objects.
        lists = [v for v in data.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
        if len(lists) != 1:
            raise Skip("JSON file is not a list of article records")
        data = lists[0]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise Skip("JSON file is not a list of article records")
    return data


def _csv_rows(text: str, bad: list[str]) -> list[dict]:
    """CSV rows as dicts; a row whose field count differs from the header is described in ``bad``."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return []
    rows = []
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a field past the size limit: the rest cannot be trusted
            bad.append(f"line {start}: {exc}; the rest of the file was not read")
            break
        if not fields:
            continue
        if len(fields) != len(header):
            bad.append(f"line {start}: {len(fields)} fields where the header has {len(header)}")
            continue
        rows.append(dict(zip(header, fields)))
    return rows


def load_mapping(folder: Path) -> dict | None:
    """The column mapping in ``folder/lexiscope-columns.json``, or None."""
    path = folder / MAPPING_FILE
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{MAPPING_FILE} is not valid JSON: {exc}") from exc
    return {k: v for k, v in raw.items() if k in GUESSES or k in ("kind", "extra")}


def _columns(columns: list[str], mapping: dict | None) -> dict:
    """Role -> column name, from the mapping file where given, else guessed."""
    lower = {c.lower(): c for c in columns}
    chosen: dict = {}
    for role, names in GUESSES.items():
        if mapping and mapping.get(role):
            if mapping[role] not in columns:
                raise Skip(f"{MAPPING_FILE} maps {role} to column '{mapping[role]}', which this file lacks")
            chosen[role] = mapping[role]
            continue
        for name in names:
            if name in lower:
                chosen[role] = lower[name]
                break
    return chosen


# Files read as metadata of other files, not documents: the window lists them apart from skipped files.
MAPPING_REASON = "column mapping for the files in this folder"
TITLE_RECORD_REASON = "newspaper title record (read for the paper name and place of its pages)"
METADATA_REASONS = frozenset({MAPPING_REASON, TITLE_RECORD_REASON})
# How a run's summary names them ("89 title records"): they did their job, so they are not "skipped".
METADATA_LABELS = {TITLE_RECORD_REASON: "title record", MAPPING_REASON: "column mapping"}


def metadata_label(state: str, reason: str) -> str | None:
    """"title record" or "column mapping" for a file read as metadata of others, None for any other state."""
    return METADATA_LABELS.get(reason) if state == "skipped" else None


def describe_metadata(counts: dict[str, int]) -> str:
    """The line a summary prints for ``{"title record": 89}``: said apart from the skipped files."""
    read = ", ".join(f"{n} {label}{'' if n == 1 else 's'}" for label, n in sorted(counts.items()))
    return f"Also read {read}: metadata for the other files, not documents."


def read_records(path: Path, *, max_bytes: int) -> Extracted:
    """Read an article-record file (American Stories or a generic table of articles)."""
    path = Path(path)
    if path.name == MAPPING_FILE:
        raise Skip(MAPPING_REASON)
    if path.parent.name == "titles" and path.suffix.lower() == ".json":
        raise Skip(TITLE_RECORD_REASON)
    bad: list[str] = []
    rows = _rows(path, max_bytes, bad)
    if not rows:
        raise Skip("no records" + (f" ({len(bad)} bad: {bad[0]})" if bad else ""))
    collection = _read_rows(path, rows)
    if bad:
        # Kept on the file's row (meta) so `lexiscope status --json` and the window can say what was left out.
        collection.meta.update(bad_records=len(bad), bad_lines=bad[:20])
    return collection


def _read_rows(path: Path, rows: list[dict]) -> Extracted:
    """The collection of records for the parsed rows of ``path``."""
    columns = list(rows[0].keys())
    if all(c in columns for c in AMERICAN_STORIES):
        return Extracted(kind="collection", title=path.stem, meta={"format": "american-stories"},
                         records=[_american_story(r, i) for i, r in enumerate(rows)])
    mapping = load_mapping(path.parent)
    cols = _columns(columns, mapping)
    if "text" not in cols:
        raise Skip(f"no text column among {', '.join(columns[:8])}: add {MAPPING_FILE} (see docs/newspapers.md)")
    kind = (mapping or {}).get("kind", "news")
    extra = [c for c in (mapping or {}).get("extra", []) if c in columns]
    records = []
    for i, row in enumerate(rows):
        meta = {"record_id": str(row.get(cols["id"], i)) if "id" in cols else str(i)}
        for role in ("newspaper", "place"):
            if role in cols and row.get(cols[role]):
                meta[role] = str(row[cols[role]]).strip()
        meta.update({c: row[c] for c in extra if row.get(c) is not None})
        records.append(Extracted(
            kind=kind, title=str(row.get(cols.get("title"), "") or "").strip(),
            text=str(row.get(cols["text"]) or ""), date=parse_date(row.get(cols.get("date"))), meta=meta,
        ))
    return Extracted(kind="collection", title=path.stem, meta={"format": "table", "columns": cols}, records=records)


def _american_story(row: dict, i: int) -> Extracted:
    meta = {"record_id": str(row.get("article_id") or i), "newspaper": str(row.get("newspaper_name") or "").strip()}
    for key in ("edition", "page", "byline"):
        if row.get(key) not in (None, ""):
            meta[key] = row[key]
    return Extracted(kind="news", title=str(row.get("headline") or "").strip(), text=str(row.get("article") or ""),
                     date=parse_date(row.get("date")), meta=meta)


__all__ = ["EXTENSIONS", "MAPPING_FILE", "load_mapping", "parse_date", "read_records"]
