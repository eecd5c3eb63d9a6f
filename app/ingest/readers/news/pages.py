"""Newspaper page readers: Chronicling America OCR dumps, Library of Congress batches, marked folders.

Recognised by layout, not by extension (a newspaper page is a plain ``.txt``):
- Chronicling America: ``dates/YYYYMMDD/<lccn>-ed-N_seq-M.txt`` (titles in ``titles/<lccn>.json`` beside
  ``dates/``, optional: without it the page is still news, without a paper name).
- LoC batch: ``<lccn>/<YYYY-MM-DD>/ed-N/seq-M/ocr.txt`` or ``ocr.xml`` (ALTO, preferred when present).
- Any folder holding a ``.lexiscope-news`` marker file: every ``.txt`` below it is news; the date is
  guessed from the path or file name.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache
from pathlib import Path

from app.ingest.model import Extracted, Skip
from app.ingest.readers.common import check_size, decode_text, require_text
from app.ingest.readers.news import alto
from app.ingest.readers.news.split import split_articles

MARKER = ".lexiscope-news"
_LCCN = r"(?P<lccn>(?:[a-z]{1,3}\d{8,10})|\d{10})"
_CHRONAM_NAME = re.compile(rf"^{_LCCN}-ed-(?P<ed>\d+)_seq-(?P<seq>\d+)\.txt$")
_LCCN_ONLY = re.compile(rf"^{_LCCN}$")
_ED, _SEQ = re.compile(r"^ed-(\d+)$"), re.compile(r"^seq-(\d+)$")
# Dates in paths and names: 1916-07-04, 1916_07_04, 19160704 (not inside a longer number).
_PATH_DATE = re.compile(r"(?<!\d)(1[6-9]\d\d|20\d\d)[-_]?(0[1-9]|1[0-2])[-_]?(0[1-9]|[12]\d|3[01])(?!\d)")
# How far up the tree a marker file or a titles/ folder is looked for.
_MAX_UP = 12


def _iso(y: str, m: str, d: str) -> str | None:
    try:
        return date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


def date_from_path(path: Path) -> str | None:
    """The date a path names (nearest part first: file name, then its folders), or None."""
    for part in [path.name, *(p.name for p in path.parents)]:
        for m in _PATH_DATE.finditer(part):
            iso = _iso(*m.groups())
            if iso:
                return iso
    return None


@lru_cache(maxsize=4096)
def _marked(folder: Path) -> bool:
    for parent in [folder, *list(folder.parents)[:_MAX_UP]]:
        if (parent / MARKER).is_file():
            return True
    return False


def page_layout(path: Path) -> str | None:
    """Which newspaper page layout ``path`` is in ("chronam", "loc", "marked"), or None."""
    path = Path(path)
    name, parent = path.name, path.parent
    if name.endswith(".txt") and _CHRONAM_NAME.match(name) and re.fullmatch(r"\d{8}", parent.name):
        if _iso(parent.name[:4], parent.name[4:6], parent.name[6:]):
            return "chronam"
    if name in ("ocr.txt", "ocr.xml") and _loc_parts(path):
        return "loc"
    if name.lower().endswith(".txt") and _marked(parent):
        return "marked"
    return None


def _loc_parts(path: Path) -> tuple[str, str, int, int] | None:
    """(lccn, iso date, edition, page) for ``<lccn>/<YYYY-MM-DD>/ed-N/seq-M/ocr.*``."""
    parts = path.parts
    if len(parts) < 5:
        return None
    lccn, day, ed, seq = parts[-5], parts[-4], _ED.match(parts[-3]), _SEQ.match(parts[-2])
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", day)
    if not (_LCCN_ONLY.match(lccn) and m and ed and seq):
        return None
    iso = _iso(*m.groups())
    return (lccn, iso, int(ed.group(1)), int(seq.group(1))) if iso else None


@lru_cache(maxsize=1024)
def title_info(folder: Path, lccn: str) -> dict:
    """Newspaper metadata for ``lccn`` from the nearest ``titles/<lccn>.json`` above ``folder`` ({} if none)."""
    for parent in [folder, *list(folder.parents)[:_MAX_UP]]:
        candidate = parent / "titles" / f"{lccn}.json"
        if candidate.is_file():
            try:
                raw = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return {}
            return _title_meta(raw)
    return {}


def _title_meta(raw: dict) -> dict:
    """Paper name and a readable place ("North Platte, Nebraska") from a Chronicling America title record."""
    meta: dict = {}
    name = str(raw.get("name") or "").strip()
    if name:
        meta["newspaper"] = name.rstrip(".").strip()
    places = raw.get("place") or []
    if places:
        # "Nebraska--Lincoln--North Platte": state, county, city.
        bits = [b.strip() for b in str(places[0]).split("--") if b.strip()]
        if bits:
            meta["state"] = bits[0]
            meta["city"] = bits[-1] if len(bits) > 1 else ""
            meta["place"] = f"{meta['city']}, {meta['state']}" if meta["city"] else meta["state"]
    elif raw.get("place_of_publication"):
        meta["place"] = str(raw["place_of_publication"]).strip()
    return meta


def read_page(path: Path, *, max_bytes: int) -> Extracted:
    """Read one newspaper page in any recognised layout."""
    path = Path(path)
    layout = page_layout(path)
    meta: dict = {"layout": layout}
    iso = None
    if layout == "chronam":
        m = _CHRONAM_NAME.match(path.name)
        assert m is not None  # page_layout() said "chronam" because this name matched
        lccn, iso = m["lccn"], _iso(path.parent.name[:4], path.parent.name[4:6], path.parent.name[6:])
        meta.update(lccn=lccn, edition=int(m["ed"]), page=int(m["seq"]), **title_info(path.parent.parent, lccn))
    elif layout == "loc":
        loc = _loc_parts(path)
        assert loc is not None  # page_layout() said "loc" because these parts parsed
        lccn, iso, ed, seq = loc
        if path.name == "ocr.txt" and (path.parent / "ocr.xml").is_file():
            raise Skip("page text is read from ocr.xml (ALTO) beside it")
        meta.update(lccn=lccn, edition=ed, page=seq, **title_info(path.parents[4], lccn))
    else:
        iso = date_from_path(path)
    check_size(path, max_bytes)
    if path.suffix == ".xml":
        text = alto.alto_text(path.read_bytes())
        meta["source_format"] = "alto"
    else:
        text, encoding = decode_text(path.read_bytes())
        meta["encoding"] = encoding
    require_text(text)
    segments = split_articles(text)
    if segments:
        meta["articles"] = [[s.start, s.end, s.title] for s in segments]
    return Extracted(kind="news", title=_page_title(meta, iso, path), text=text, date=iso, meta=meta,
                     segments=segments)


def _page_title(meta: dict, iso: str | None, path: Path) -> str:
    paper = meta.get("newspaper") or meta.get("lccn") or path.stem
    bits = [paper]
    if iso:
        bits.append(iso)
    if meta.get("page"):
        ed = f"ed. {meta['edition']}, " if meta.get("edition", 1) != 1 else ""
        bits.append(f"{ed}page {meta['page']}")
    return " — ".join(bits)


__all__ = ["MARKER", "date_from_path", "page_layout", "read_page", "title_info"]
