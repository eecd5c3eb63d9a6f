"""A small file-state catalog beside the index, so a no-op re-index is decided before LanceDB is imported.

The LanceDB documents table is the truth; this JSON file is a copy of what an incremental run compares
((mtime, size) per file), plus whether pass 2 is complete and with which model settings. It is deleted
whenever a writer takes the index lock (``Store.lock``) and written again at the end of a complete run,
so when it exists it describes the index exactly. ``lexiscope index`` reads it first: if every file under
the given folders is unchanged, none vanished, and (with models) nothing waits for pass 2 under the same
model settings, the run is over in a scan and a few stats — no LanceDB, no model, no spaCy.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

CATALOG_VERSION = 1
NAME = "catalog.json"


def _path(root: Path) -> Path:
    return Path(root) / NAME


def invalidate(root: Path) -> None:
    """Forget the catalog (a writer is about to change the index)."""
    _path(root).unlink(missing_ok=True)


def models_fingerprint(settings, root: Path) -> list:
    """What decides pass 2's models without loading them: the model settings and the model cache's state."""
    cache = Path(root) / "models"
    try:
        # A model imported or downloaded adds or replaces a folder here, which changes these times.
        stamp = sorted((e.name, e.stat().st_mtime_ns) for e in os.scandir(cache))
    except OSError:
        stamp = []
    return [settings.text_model, settings.image_model, settings.vocab_model, settings.ner_model,
            sorted(settings.mask_entity_types), settings.passage_chars, stamp]


def write(root: Path, store, settings, *, use_models: bool, meaning_pending: int) -> None:
    """Record the index's file states after a complete run (the caller holds the writer lock)."""
    rows = store.file_documents(["path", "mtime", "size"])
    data = {
        "version": CATALOG_VERSION,
        "files": {r["path"]: [r["mtime"], r["size"]] for r in rows},
        "meaning_pending": meaning_pending,
        "models": models_fingerprint(settings, root) if use_models else None,
        "passage_chars": settings.passage_chars,
        "max_file_mb": settings.max_file_mb,
    }
    tmp = _path(root).with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, _path(root))


def quick_noop(paths: Iterable[str | Path], settings, root: Path, *, use_models: bool) -> dict | None:
    """The report of a run that would change nothing, or None when the real run is needed.

    Mirrors pass 1's test (same scan rules, same (mtime, size) comparison, vanished files) and pass 2's
    (nothing pending, same model settings), using only the catalog and the file system.
    """
    try:
        data = json.loads(_path(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("version") != CATALOG_VERSION:
        return None
    if data.get("passage_chars") != settings.passage_chars or data.get("max_file_mb") != settings.max_file_mb:
        return None
    if use_models and (data.get("meaning_pending") or data.get("models") != _jsonable(models_fingerprint(settings, root))):
        return None
    from app.ingest.scan import scan

    files = data["files"]
    seen = 0
    for raw in paths:
        top = Path(os.path.abspath(raw))
        if not top.exists():
            return None
        prefix = str(top) + os.sep
        under = {p for p in files if p == str(top) or p.startswith(prefix)}
        for path in scan([top]):
            key = str(path)
            try:
                st = path.stat()
            except OSError:
                return None
            if files.get(key) != [st.st_mtime, st.st_size]:
                return None
            under.discard(key)
            seen += 1
        if under:
            return None  # a file vanished: the real run removes it
    return {"seen": seen, "unchanged": seen}


def _jsonable(value):
    """``value`` as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(value))


__all__ = ["invalidate", "models_fingerprint", "quick_noop", "write"]
