"""The sparse postings on disk: built from the passages table, kept up to date run by run, loaded by readers.

An index run updates them incrementally (:func:`refresh`, from the indexer's finishing step): the rows of
documents re-indexed or removed since the last refresh are marked dead, and the changed documents' passages
become a new segment (:class:`app.search.postings.Segment`). When dead or appended rows pass
:data:`COMPACT_FRACTION` of the total, everything is rebuilt into one segment; past :data:`MAX_SEGMENTS`, the
appended segments are merged into one. A refresh writes only what changed: segments already on disk are
hard-linked into the new snapshot.

Which documents changed is read from the documents table (``indexed_at`` above the last refresh's
watermark, or gone), not from the write path, so any writer keeps it correct. ``meta.json`` records the
passages table version it matches; a reader that finds another version (an index run in progress, or an
older app wrote) applies the same delta in memory (:class:`Cache`).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from app.search.postings import VOCAB_SIZE, Postings, Segment, to_columns
from app.snapshots import current_snapshot, new_snapshot, publish
from app.store import POSTINGS_DIR

FORMAT = 1
DIRNAME = POSTINGS_DIR  # named by the store, which deletes it when it replaces the passages table
# Rebuild into one segment when this share of rows is dead or outside the first segment.
COMPACT_FRACTION = 0.2
# Past this many segments, an update merges all but the first into one. Each index run that changes something
# appends a segment per pass (words, then meaning), and the share above counts rows, not runs: a watched
# folder saved every few minutes would add hundreds of small segments to a big index before it is rebuilt,
# and every query steps through each one per query id (22 segments of 10 rows cost a 1M-passage sparse search
# ~1 ms; merging them took 3 ms). The merged rows are at most COMPACT_FRACTION of the index, so the merge
# stays a fraction of a rebuild.
MAX_SEGMENTS = 8


def _folder(store) -> Path:
    return store.root / "index" / DIRNAME


def _as_bytes(column) -> np.ndarray:
    values = [v.encode("utf-8") for v in column.to_pylist()]
    return np.array(values, dtype="S") if values else np.zeros(0, dtype="S1")


def _widen(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    size = max(a.dtype.itemsize, b.dtype.itemsize, 1)
    return a.astype(f"S{size}"), b.astype(f"S{size}")


def _doc_state(store) -> tuple[dict[str, float], float]:
    rows = store.document_rows(["doc_id", "indexed_at"])
    stamps = {r["doc_id"]: float(r["indexed_at"] or 0.0) for r in rows}
    return stamps, max(stamps.values(), default=0.0)


def build(store) -> Postings:
    """Build the postings of every passage from the table, as one segment."""
    version = store.passages_version()
    _, watermark = _doc_state(store)
    table = store.sparse_vectors()
    seg = Segment.from_lists(table.column("sparse_ids"), table.column("sparse_w"))
    pids, dids = _as_bytes(table.column("passage_id")), _as_bytes(table.column("doc_id"))
    return Postings([seg], pids, dids, np.ones(len(pids), dtype=bool), version, watermark, store.vocab_model())


def update(store, old: Postings, merge: bool = True) -> Postings:
    """Apply the documents changed since ``old`` was made: dead rows marked, their new passages appended.

    ``merge``: past MAX_SEGMENTS, merge the appended segments into one (the writer, once per run). A reader
    during an index run leaves them: there each write is a new delta, the appended rows can be the whole run's,
    and the writer's postings replace the reader's when the run ends.
    """
    version = store.passages_version()
    stamps, watermark = _doc_state(store)
    known = {d.decode("utf-8") for d in np.unique(old.doc_ids[old.alive])} if old.n_rows else set()
    changed = {d for d, t in stamps.items() if t > old.watermark} | (known - stamps.keys())
    alive = old.alive.copy()
    segments, pids, dids = list(old.segments), old.passage_ids, old.doc_ids
    if changed:
        keys = np.array([d.encode("utf-8") for d in changed], dtype="S")
        alive &= ~np.isin(old.doc_ids, keys)
        fresh = [d for d in changed if d in stamps]
        table = store.sparse_vectors(fresh)
        if table.num_rows:
            segments.append(Segment.from_lists(table.column("sparse_ids"), table.column("sparse_w")))
            new_p, new_d = _as_bytes(table.column("passage_id")), _as_bytes(table.column("doc_id"))
            pids, new_p = _widen(pids, new_p)
            dids, new_d = _widen(dids, new_d)
            pids, dids = np.concatenate([pids, new_p]), np.concatenate([dids, new_d])
            alive = np.concatenate([alive, np.ones(len(new_p), dtype=bool)])
    new = Postings(segments, pids, dids, alive, version, max(watermark, old.watermark), old.vocab_model)
    # Not when the writer rebuilds everything next (current): that merge would be thrown away.
    if merge and len(segments) > MAX_SEGMENTS and not _needs_compaction(new):
        new.segments = [segments[0], merge_segments(segments[1:])]
    return new


def merge_segments(segments: list[Segment]) -> Segment:
    """One segment over the consecutive rows of ``segments``: the same entries, each column's rows ascending,
    so every score is the sum it was, in the same order (dead rows stay; a rebuild drops them)."""
    cols, rows, vals = [], [], []
    offset = 0
    for seg in segments:
        indptr = np.asarray(seg.indptr)
        # A segment's entries column by column, rows ascending in each: the order to_columns keeps per column.
        cols.append(np.repeat(np.arange(VOCAB_SIZE, dtype=np.int32), np.diff(indptr)))
        rows.append(np.asarray(seg.indices, dtype=np.int32) + offset)
        vals.append(np.asarray(seg.data, dtype=np.float32))
        offset += seg.n_rows
    if not offset:
        return Segment(np.zeros(VOCAB_SIZE + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32), 0)
    col_ptr, indices, data = to_columns(np.concatenate(cols), np.concatenate(rows), np.concatenate(vals))
    return Segment(col_ptr, indices, data, offset)


def _needs_compaction(p: Postings) -> bool:
    first = p.segments[0].n_rows if p.segments else 0
    return p.n_rows > 0 and (p.n_rows - p.n_alive + (p.n_rows - first)) > COMPACT_FRACTION * p.n_rows


def save(store, p: Postings) -> None:
    """Write ``p`` under index/postings/ (a new folder, then an atomic switch of ``current``)."""
    folder = new_snapshot(_folder(store))
    for i, seg in enumerate(p.segments):
        seg.save(folder / f"seg{i}")
        seg.folder = folder / f"seg{i}"
    np.save(folder / "passage_ids.npy", p.passage_ids)
    np.save(folder / "doc_ids.npy", p.doc_ids)
    np.save(folder / "alive.npy", p.alive)
    np.save(folder / "df.npy", p.document_frequency())
    meta = {"format": FORMAT, "table_version": p.table_version, "watermark": p.watermark,
            "vocab_model": p.vocab_model, "segments": [s.n_rows for s in p.segments]}
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    publish(folder)  # a reader holding an older snapshot keeps its open memory maps (POSIX)


def load(store) -> Postings | None:
    """The saved postings, memory-mapped, or None when there are none of this format."""
    try:
        folder = current_snapshot(_folder(store))
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("format") != FORMAT:
        return None
    try:
        segments = [Segment.load(folder / f"seg{i}", n) for i, n in enumerate(meta["segments"])]
        df = np.load(folder / "df.npy") if (folder / "df.npy").exists() else None  # absent: an older app wrote
        return Postings(segments, np.load(folder / "passage_ids.npy", mmap_mode="r"),
                        np.load(folder / "doc_ids.npy", mmap_mode="r"), np.load(folder / "alive.npy"),
                        int(meta["table_version"]), float(meta["watermark"]), meta.get("vocab_model", ""), df)
    except (OSError, ValueError, KeyError):
        return None  # a writer replaced it between the two reads: the caller rebuilds or retries


def current(store, saved: Postings | None = None, strict: bool = True) -> tuple[Postings, bool]:
    """Postings matching the table now, and whether they differ from what is saved.

    Loads the saved ones (or uses ``saved``), applies any delta since, and rebuilds when nothing usable is
    saved, the vocabulary model changed, or too much changed for a delta to stay cheap. ``strict`` (the
    writer, after a run) also rebuilds when the live rows do not match the table's row count; a reader
    during an index run skips that check (passages are written before their document rows, so the
    counts differ until the batch completes).
    """
    p = saved if saved is not None else load(store)
    version = store.passages_version()
    if p is not None and p.vocab_model == store.vocab_model() and p.table_version <= version:
        if p.table_version == version:
            return p, False
        p = update(store, p, merge=strict)
        # A safety net for any writer we did not foresee: the live rows must be the table's rows.
        if not strict or (p.n_alive == store.passage_count() and not _needs_compaction(p)):
            return p, True
    return build(store), True


def refresh(store) -> Postings:
    """After an index run (writer side): bring the saved postings up to date."""
    p, changed = current(store)
    if changed or load(store) is None:
        save(store, p)
    return p


class Cache:
    """Per-process postings, re-checked against the table version on every search."""

    def __init__(self):
        self._lock = threading.Lock()
        self._p: Postings | None = None

    def get(self, store) -> Postings:
        """The postings for the store's current passages."""
        with self._lock:
            version = store.passages_version()
            if self._p is None or self._p.table_version != version:
                fresh = load(store)
                if fresh is not None and fresh.table_version == version:
                    self._p = fresh
                else:
                    self._p, _ = current(store, self._p if self._p is not None else fresh, strict=False)
            return self._p
