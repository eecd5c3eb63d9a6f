"""The sparse (vocabulary) index: passages' top-k (id, weight) lists as persisted column postings.

q·d over 30,522 vocabulary ids is exact and cheap when read by column: a query touches only the
postings of its own ids (tens of columns) instead of every passage row. The postings live in
``index/postings/`` next to the LanceDB tables as plain ``.npy`` files that are memory-mapped, so a new
process pays nothing to start and only the columns a query touches are read from disk.

Layout (``FORMAT``): one or more *segments*, each a CSC matrix (``indptr`` per vocabulary id, row
``indices``, ``data``) over a run of rows, plus per row the passage id and document id and an ``alive``
mask. An index run updates it incrementally (:func:`refresh`): the rows of documents re-indexed or removed
since the last refresh are marked dead, and the changed documents' passages become a new segment. When
dead or segmented rows pass :data:`COMPACT_FRACTION` of the total, everything is rebuilt into one segment.

Which documents changed is read from the documents table (``indexed_at`` above the last refresh's
watermark, or gone), not from the write path, so any writer keeps it correct. ``meta.json`` records the
passages table version it matches; a reader that finds another version (an index run in progress, or an
older app wrote) applies the same delta in memory.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
from pathlib import Path

import numpy as np

VOCAB_SIZE = 30522
FORMAT = 1
DIRNAME = "postings"
# Rebuild into one segment when this share of rows is dead or outside the first segment.
COMPACT_FRACTION = 0.2
# Documents per LanceDB ``IN (...)`` filter when reading changed passages.
IN_CHUNK = 500


class Segment:
    """A CSC matrix over ``n_rows`` consecutive rows (row numbers local to the segment)."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, n_rows: int):
        self.indptr, self.indices, self.data, self.n_rows = indptr, indices, data, n_rows

    @classmethod
    def from_lists(cls, ids, weights) -> "Segment":
        """Build from arrow list columns of ids and weights (one list per row)."""
        from scipy.sparse import csr_matrix

        n = len(ids)
        if n == 0:
            return cls(np.zeros(VOCAB_SIZE + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32), 0)
        ids = ids.combine_chunks() if hasattr(ids, "combine_chunks") else ids
        weights = weights.combine_chunks() if hasattr(weights, "combine_chunks") else weights
        indptr = np.asarray(ids.offsets, dtype=np.int64)
        start, end = int(indptr[0]), int(indptr[-1])
        cols = np.asarray(ids.values, dtype=np.int32)[start:end]
        vals = np.asarray(weights.values, dtype=np.float32)[start:end]
        csc = csr_matrix((vals, cols, indptr - start), shape=(n, VOCAB_SIZE)).tocsc()  # O(nnz) counting sort
        csc.sort_indices()
        return cls(csc.indptr.astype(np.int64), csc.indices.astype(np.int32), csc.data.astype(np.float32), n)

    def add_scores(self, out: np.ndarray, q_ids: np.ndarray, q_w: np.ndarray) -> None:
        """out[row] += sum over query ids of q_w * weight (float64 accumulation, query-id order)."""
        for t, w in zip(q_ids.tolist(), q_w.tolist()):
            a, b = int(self.indptr[t]), int(self.indptr[t + 1])
            if a < b:
                # Rows within one column are unique, so a fancy-indexed += is exact (no np.add.at needed).
                out[self.indices[a:b]] += w * self.data[a:b].astype(np.float64)

    def save(self, folder: Path) -> None:
        """Write the three arrays as .npy files."""
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "indptr.npy", self.indptr)
        np.save(folder / "indices.npy", self.indices)
        np.save(folder / "data.npy", self.data)

    @classmethod
    def load(cls, folder: Path, n_rows: int) -> "Segment":
        """Memory-map a saved segment."""
        return cls(np.load(folder / "indptr.npy", mmap_mode="r"), np.load(folder / "indices.npy", mmap_mode="r"),
                   np.load(folder / "data.npy", mmap_mode="r"), n_rows)


class Postings:
    """All passages' sparse vectors, by column; rows follow ``passage_ids``."""

    def __init__(self, segments: list[Segment], passage_ids: np.ndarray, doc_ids: np.ndarray, alive: np.ndarray,
                 table_version: int, watermark: float, vocab_model: str):
        self.segments = segments
        self.passage_ids = passage_ids  # bytes (UTF-8), one per row
        self.doc_ids = doc_ids
        self.alive = alive
        self.table_version = table_version
        self.watermark = watermark
        self.vocab_model = vocab_model
        self._df: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        """Rows, dead ones included."""
        return len(self.passage_ids)

    @property
    def n_alive(self) -> int:
        """Rows of passages still in the index."""
        return int(self.alive.sum())

    def scores(self, q_ids: np.ndarray, q_w: np.ndarray) -> np.ndarray:
        """Exact q·d for every row (0 for dead rows)."""
        out = np.zeros(self.n_rows, dtype=np.float64)
        offset = 0
        for seg in self.segments:
            seg.add_scores(out[offset : offset + seg.n_rows], np.asarray(q_ids), np.asarray(q_w, dtype=np.float64))
            offset += seg.n_rows
        out[~self.alive] = 0.0
        return out

    def top(self, q_ids: np.ndarray, q_w: np.ndarray, depth: int, allowed: np.ndarray | None = None):
        """The best ``depth`` (passage id, score) pairs with score > 0; ``allowed`` masks rows."""
        scores = self.scores(q_ids, q_w)
        if allowed is not None:
            scores[~allowed] = 0.0
        n = min(depth, int(np.count_nonzero(scores > 0)))
        if n == 0:
            return []
        top = np.argpartition(-scores, n - 1)[:n]
        # Ties broken by row, so the order is deterministic.
        top = top[np.lexsort((top, -scores[top]))]
        return [(self.passage_ids[i].decode("utf-8"), float(scores[i])) for i in top]

    def rows_of(self, passage_ids: list[str]) -> np.ndarray:
        """A row mask of the given passages (for filtered searches)."""
        wanted = np.array([p.encode("utf-8") for p in passage_ids], dtype=self.passage_ids.dtype if passage_ids else "S1")
        return np.isin(self.passage_ids, wanted) & self.alive

    def document_frequency(self) -> np.ndarray:
        """How many live passages carry each vocabulary id."""
        if self._df is None:
            df = np.zeros(VOCAB_SIZE, dtype=np.int64)
            offset = 0
            for seg in self.segments:
                alive = self.alive[offset : offset + seg.n_rows]
                if alive.all():
                    df += np.diff(seg.indptr)
                else:
                    cols = np.repeat(np.arange(VOCAB_SIZE), np.diff(seg.indptr))
                    df += np.bincount(cols[alive[seg.indices]], minlength=VOCAB_SIZE)
                offset += seg.n_rows
            self._df = df
        return self._df


# --- building and refreshing ------------------------------------------------------------------------

def _folder(store) -> Path:
    return store.root / "index" / DIRNAME


def _read_passages(store, where: str | None):
    q = store.passages.search().select(["passage_id", "doc_id", "sparse_ids", "sparse_w"])
    if where:
        q = q.where(where)
    return q.limit(None).to_arrow()


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
    version = store.passages.version
    _, watermark = _doc_state(store)
    table = _read_passages(store, None)
    seg = Segment.from_lists(table.column("sparse_ids"), table.column("sparse_w"))
    pids, dids = _as_bytes(table.column("passage_id")), _as_bytes(table.column("doc_id"))
    return Postings([seg], pids, dids, np.ones(len(pids), dtype=bool), version, watermark, store.vocab_model())


def update(store, old: Postings) -> Postings:
    """Apply the documents changed since ``old`` was made: dead rows marked, their new passages appended."""
    version = store.passages.version
    stamps, watermark = _doc_state(store)
    known = {d.decode("utf-8") for d in np.unique(old.doc_ids[old.alive])} if old.n_rows else set()
    changed = {d for d, t in stamps.items() if t > old.watermark} | (known - stamps.keys())
    alive = old.alive.copy()
    segments, pids, dids = list(old.segments), old.passage_ids, old.doc_ids
    if changed:
        keys = np.array([d.encode("utf-8") for d in changed], dtype="S")
        alive &= ~np.isin(old.doc_ids, keys)
        fresh = [d for d in changed if d in stamps]
        from app.store import in_list

        parts = [_read_passages(store, in_list("doc_id", fresh[i : i + IN_CHUNK])) for i in range(0, len(fresh), IN_CHUNK)]
        parts = [p for p in parts if p.num_rows]
        if parts:
            import pyarrow as pa

            table = pa.concat_tables(parts)
            segments.append(Segment.from_lists(table.column("sparse_ids"), table.column("sparse_w")))
            new_p, new_d = _as_bytes(table.column("passage_id")), _as_bytes(table.column("doc_id"))
            pids, new_p = _widen(pids, new_p)
            dids, new_d = _widen(dids, new_d)
            pids, dids = np.concatenate([pids, new_p]), np.concatenate([dids, new_d])
            alive = np.concatenate([alive, np.ones(len(new_p), dtype=bool)])
    return Postings(segments, pids, dids, alive, version, max(watermark, old.watermark), old.vocab_model)


def _needs_compaction(p: Postings) -> bool:
    first = p.segments[0].n_rows if p.segments else 0
    return p.n_rows > 0 and (p.n_rows - p.n_alive + (p.n_rows - first)) > COMPACT_FRACTION * p.n_rows


def save(store, p: Postings) -> None:
    """Write ``p`` under index/postings/ (a new folder, then an atomic switch of ``current``)."""
    root = _folder(store)
    root.mkdir(parents=True, exist_ok=True)
    name = uuid.uuid4().hex[:12]
    folder = root / name
    folder.mkdir()
    for i, seg in enumerate(p.segments):
        seg.save(folder / f"seg{i}")
    np.save(folder / "passage_ids.npy", p.passage_ids)
    np.save(folder / "doc_ids.npy", p.doc_ids)
    np.save(folder / "alive.npy", p.alive)
    meta = {"format": FORMAT, "table_version": p.table_version, "watermark": p.watermark,
            "vocab_model": p.vocab_model, "segments": [s.n_rows for s in p.segments]}
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    tmp = root / f"current.{name}.tmp"
    tmp.write_text(name, encoding="utf-8")
    os.replace(tmp, root / "current")
    for other in root.iterdir():  # older snapshots; a reader holding one keeps its open mmaps (POSIX)
        if other.is_dir() and other.name != name:
            shutil.rmtree(other, ignore_errors=True)


def load(store) -> Postings | None:
    """The saved postings, memory-mapped, or None when there are none of this format."""
    root = _folder(store)
    try:
        folder = root / (root / "current").read_text(encoding="utf-8").strip()
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("format") != FORMAT:
        return None
    try:
        segments = [Segment.load(folder / f"seg{i}", n) for i, n in enumerate(meta["segments"])]
        return Postings(segments, np.load(folder / "passage_ids.npy", mmap_mode="r"),
                        np.load(folder / "doc_ids.npy", mmap_mode="r"), np.load(folder / "alive.npy"),
                        int(meta["table_version"]), float(meta["watermark"]), meta.get("vocab_model", ""))
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
    version = store.passages.version
    if p is not None and p.vocab_model == store.vocab_model() and p.table_version <= version:
        if p.table_version == version:
            return p, False
        p = update(store, p)
        # A safety net for any writer we did not foresee: the live rows must be the table's rows.
        if not strict or (p.n_alive == store.passages.count_rows() and not _needs_compaction(p)):
            return p, True
    return build(store), True


def refresh(store) -> Postings:
    """After an index run (writer side): bring the saved postings up to date."""
    p, changed = current(store)
    if changed or load(store) is None:
        save(store, p)
    return p


def forget(store) -> None:
    """Remove the saved postings (the passages table was recreated)."""
    shutil.rmtree(_folder(store), ignore_errors=True)


class Cache:
    """Per-process postings, re-checked against the table version on every search."""

    def __init__(self):
        self._lock = threading.Lock()
        self._p: Postings | None = None

    def get(self, store) -> Postings:
        """The postings for the store's current passages."""
        with self._lock:
            version = store.passages.version
            if self._p is None or self._p.table_version != version:
                fresh = load(store)
                if fresh is not None and fresh.table_version == version:
                    self._p = fresh
                else:
                    self._p, _ = current(store, self._p if self._p is not None else fresh, strict=False)
            return self._p
