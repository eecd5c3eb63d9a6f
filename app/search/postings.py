"""The sparse (vocabulary) index: passages' top-k (id, weight) lists as persisted column postings.

q·d over 30,522 vocabulary ids is exact and cheap when read by column: a query touches only the
postings of its own ids (tens of columns) instead of every passage row. The postings live in
``index/postings/`` next to the LanceDB tables as plain ``.npy`` files that are memory-mapped, so a new
process pays nothing to start and only the columns a query touches are read from disk.

Layout (``postings_store.FORMAT``): one or more *segments*, each a CSC matrix (``indptr`` per vocabulary id, row
``indices``, ``data``) over a run of rows, plus per row the passage id and document id and an ``alive``
mask. How they are built, kept up to date run by run, saved and loaded: :mod:`app.search.postings_store`.

Scoring is exact. A query whose columns hold few postings is scored exhaustively (one pass over them). A
large one uses MaxScore (Turtle & Flood 1995): per column the largest weight is kept (``colmax.npy``), so
``q_w * colmax`` bounds what that query id can add to any row; the columns with the largest bounds are
summed first, and once the K-th best partial score exceeds the sum of the bounds left, only rows whose
partial score is within that sum of it can still reach the top K. Those rows are rescored exactly
(binary search in the row-sorted columns, same summation order as the exhaustive pass), so the top K and
their scores are the exhaustive ones, bit for bit, while the long columns of near-universal words are
read only at those rows. ``df.npy`` stores the live document frequencies, so a reader never scans them.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

VOCAB_SIZE = 30522
# MaxScore settings, measured on the 1M-passage bench index (bench/scale.py, 41 SciFact queries touching
# 2.5-4.4 M postings each; bench/README "Sparse at scale"): top-100 identical to the exhaustive pass for
# every query, 87 / 159 ms p50 / p95 against 249 / 447 ms exhaustive in the same run (load ~8 on 2 cores).
# Below MAXSCORE_MIN_POSTINGS a query stays exhaustive (every index of a few thousand passages does).
# ESSENTIAL_POSTINGS is the budget of postings summed before the first bound check; MAX_CANDIDATES caps
# the rows rescored exactly (more: further columns are summed and the check repeated).
MAXSCORE_MIN_POSTINGS = 200_000
ESSENTIAL_POSTINGS = 300_000
MAX_CANDIDATES = 5_000
# Up to this many rows are rescored without a row -> slot map over the whole segment (8 MB at 1M rows, to
# fill on every call): a hybrid search's sparse scores of its ~200 candidates (Postings.scores_among).
FEW_ROWS = 1_024
# Entries sorted at a time when rows are turned into columns (to_columns).
TO_COLUMNS_CHUNK = 1 << 16
# Postings read at a time when counting the document frequency of dead rows (bounded memory at 1M).
DF_CHUNK = 8_000_000


class Segment:
    """A CSC matrix over ``n_rows`` consecutive rows (row numbers local to the segment)."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, n_rows: int,
                 colmax: np.ndarray | None = None, folder: Path | None = None):
        # Plain ndarray views of the memory maps (same pages, nothing copied): slicing a np.memmap goes
        # through its subclass hooks, ~4 us a slice, and a query slices every query id's column in every
        # segment (3 ms of a 28 ms sparse search at 1M passages in 13 segments).
        self.indptr, self.indices, self.data = _plain(indptr), _plain(indices), _plain(data)
        self.n_rows = n_rows
        self._colmax = colmax
        self.folder = folder  # where it is saved (a later snapshot links the files instead of rewriting them)

    @property
    def colmax(self) -> np.ndarray:
        """The largest weight in each column (0 for empty ones): MaxScore's per-column bound."""
        if self._colmax is None:
            lens = np.diff(self.indptr)
            out = np.zeros(VOCAB_SIZE, dtype=np.float32)
            nz = lens > 0
            if nz.any():
                out[nz] = np.maximum.reduceat(np.asarray(self.data), np.asarray(self.indptr[:-1])[nz])
            self._colmax = out
        return self._colmax

    def column(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows (ascending) and weights of vocabulary id ``t``, as plain array views."""
        a, b = int(self.indptr[t]), int(self.indptr[t + 1])
        return self.indices[a:b], self.data[a:b]

    def rescore(self, out: np.ndarray, rows: np.ndarray, q_ids: np.ndarray, q_w: np.ndarray) -> None:
        """out[i] += exact q·d of local row ``rows[i]`` (ascending), summed in query-id order like add_scores."""
        if len(rows) == 0:
            return
        slot = None
        # In the columns' own type: np.searchsorted casts both sides to a common type, and an int64 ``rows``
        # made it copy every long int32 column it searched (5.7 -> 2.4 ms for 200 rows at 1M passages).
        rows = rows.astype(self.indices.dtype, copy=False)
        for t, w in zip(q_ids.tolist(), q_w.tolist()):
            col, data = self.column(t)
            if len(col) == 0:
                continue
            if len(rows) <= FEW_ROWS and len(col) < 8 * len(rows):  # both short: binary search in the rows
                at = np.searchsorted(rows, col)
                at[at == len(rows)] = 0
                hit = rows[at] == col
                out[at[hit]] += w * data[hit].astype(np.float64)
            elif len(col) < 8 * len(rows):  # a short column: look its rows up in a row -> slot map
                if slot is None:
                    slot = np.full(self.n_rows, -1, dtype=np.int64)
                    slot[rows] = np.arange(len(rows))
                at = slot[col]
                hit = at >= 0
                out[at[hit]] += w * data[hit].astype(np.float64)
            else:  # a long one: binary search for the candidates
                pos = np.searchsorted(col, rows)
                pos[pos == len(col)] = 0
                hit = col[pos] == rows
                out[hit] += w * data[pos[hit]].astype(np.float64)

    @classmethod
    def from_lists(cls, ids, weights) -> "Segment":
        """Build from arrow list columns of ids and weights (one list per row)."""
        n = len(ids)
        if n == 0:
            return cls(np.zeros(VOCAB_SIZE + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32), 0)
        ids = ids.combine_chunks() if hasattr(ids, "combine_chunks") else ids
        weights = weights.combine_chunks() if hasattr(weights, "combine_chunks") else weights
        indptr = np.asarray(ids.offsets, dtype=np.int64)
        start, end = int(indptr[0]), int(indptr[-1])
        cols = np.asarray(ids.values, dtype=np.int32)[start:end]
        vals = np.asarray(weights.values, dtype=np.float32)[start:end]
        if len(cols) and (int(cols.min()) < 0 or int(cols.max()) >= VOCAB_SIZE):
            raise ValueError(f"sparse ids outside the vocabulary (0..{VOCAB_SIZE - 1})")
        rows = np.repeat(np.arange(n, dtype=np.int32), np.diff(indptr))
        col_ptr, indices, data = to_columns(cols, rows, vals)
        return cls(col_ptr, indices, data, n)

    def add_scores(self, out: np.ndarray, q_ids: np.ndarray, q_w: np.ndarray) -> None:
        """out[row] += sum over query ids of q_w * weight (float64 accumulation, query-id order)."""
        for t, w in zip(q_ids.tolist(), q_w.tolist()):
            a, b = int(self.indptr[t]), int(self.indptr[t + 1])
            if a < b:
                # Rows within one column are unique, so a fancy-indexed += is exact (no np.add.at needed).
                out[self.indices[a:b]] += w * self.data[a:b].astype(np.float64)

    def save(self, folder: Path) -> None:
        """Write the arrays as .npy files (hard links to an earlier snapshot's files when it came from one)."""
        folder.mkdir(parents=True, exist_ok=True)
        if self.folder is not None:
            try:
                for name in SEGMENT_FILES:
                    if (self.folder / name).exists():
                        os.link(self.folder / name, folder / name)
                if not (folder / "colmax.npy").exists():
                    np.save(folder / "colmax.npy", self.colmax)
                return
            except OSError:  # another file system, or the old snapshot is gone: write them
                for name in SEGMENT_FILES:
                    (folder / name).unlink(missing_ok=True)
        np.save(folder / "indptr.npy", self.indptr)
        np.save(folder / "indices.npy", self.indices)
        np.save(folder / "data.npy", self.data)
        np.save(folder / "colmax.npy", self.colmax)

    @classmethod
    def load(cls, folder: Path, n_rows: int) -> "Segment":
        """Memory-map a saved segment."""
        colmax = np.load(folder / "colmax.npy") if (folder / "colmax.npy").exists() else None  # absent: older app
        return cls(np.load(folder / "indptr.npy", mmap_mode="r"), np.load(folder / "indices.npy", mmap_mode="r"),
                   np.load(folder / "data.npy", mmap_mode="r"), n_rows, colmax, folder)


SEGMENT_FILES = ("indptr.npy", "indices.npy", "data.npy", "colmax.npy")


class Postings:
    """All passages' sparse vectors, by column; rows follow ``passage_ids``."""

    def __init__(self, segments: list[Segment], passage_ids: np.ndarray, doc_ids: np.ndarray, alive: np.ndarray,
                 table_version: int, watermark: float, vocab_model: str, df: np.ndarray | None = None):
        self.segments = segments
        self.passage_ids = passage_ids  # bytes (UTF-8), one per row
        self.doc_ids = doc_ids
        self.alive = alive
        self.table_version = table_version
        self.watermark = watermark
        self.vocab_model = vocab_model
        self._df: np.ndarray | None = df
        # MaxScore settings (instance attributes so a test can lower them on small data).
        self.maxscore_min_postings = MAXSCORE_MIN_POSTINGS
        self.essential_postings = ESSENTIAL_POSTINGS
        self.max_candidates = MAX_CANDIDATES
        self._by_id: tuple[np.ndarray, np.ndarray] | None = None  # live rows' ids sorted, and their rows
        self._by_id_lock = threading.Lock()

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
        """The best ``depth`` (passage id, score) pairs with score > 0; ``allowed`` masks rows.

        Exact either way: exhaustive for small queries, MaxScore for large ones (see the module docstring).
        """
        q_ids = np.asarray(q_ids, dtype=np.int64)
        q_w = np.asarray(q_w, dtype=np.float64)
        keep = self.alive if allowed is None else (self.alive & allowed)
        found = None
        if depth > 0 and self._postings_of(q_ids).sum() >= self.maxscore_min_postings:
            found = self._maxscore(q_ids, q_w, depth, keep)
        if found is None:
            scores = self.scores(q_ids, q_w)
            if allowed is not None:
                scores[~allowed] = 0.0
            rows = np.flatnonzero(scores > 0)
            found = rows, scores[rows]
        rows, scores = found
        return self._ranked(rows, scores, depth)

    def scores_among(self, passage_ids: list[str], q_ids: np.ndarray, q_w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, exact scores) of the given passages' live rows, ascending (passages not in the postings, or
        dead, left out): :meth:`top`'s scores, bit for bit. A hybrid search's sparse component (app.search.retrievers)."""
        rows = self.rows_for(passage_ids)
        return rows, self._rescore(rows, np.asarray(q_ids, dtype=np.int64), np.asarray(q_w, dtype=np.float64))

    def ranked(self, rows: np.ndarray, scores: np.ndarray, depth: int):
        """The best ``depth`` of ``rows`` (distinct) by ``scores`` with score > 0, as :meth:`top` ranks them."""
        keep = scores > 0
        return self._ranked(rows[keep], scores[keep], depth)

    def rows_for(self, passage_ids: list[str]) -> np.ndarray:
        """The live rows of these passages, ascending; ids not among them are left out.

        By binary search in the live rows' ids, sorted once per postings (~50 ms at 1M passages, 18 MB):
        ``rows_of`` compares every row, ~350 ms at 1M."""
        with self._by_id_lock:
            if self._by_id is None:
                live = np.flatnonzero(self.alive)
                ids = np.asarray(self.passage_ids)[live]
                order = np.argsort(ids, kind="stable")
                self._by_id = ids[order], live[order]
        keys, rows = self._by_id
        if not passage_ids:
            return np.zeros(0, dtype=np.int64)
        # An id longer than the stored ones cannot be among them (and would be cut to their width).
        wanted = [b for b in (p.encode("utf-8") for p in passage_ids) if len(b) <= keys.dtype.itemsize]
        if not wanted or not len(keys):
            return np.zeros(0, dtype=np.int64)
        want = np.array(wanted, dtype=keys.dtype)
        at = np.searchsorted(keys, want)
        at[at == len(keys)] = 0
        return np.unique(rows[at[keys[at] == want]]).astype(np.int64)

    def _ranked(self, rows: np.ndarray, scores: np.ndarray, depth: int):
        """The best ``depth`` of ``rows`` by ``scores`` as (passage id, score), ties broken by row."""
        if depth <= 0:
            return []
        if len(rows) > depth:  # the rows at or above the depth-th score (ties included), then sorted
            kth = np.partition(scores, len(scores) - depth)[len(scores) - depth]
            rows, scores = rows[scores >= kth], scores[scores >= kth]
        # Best first, ties broken by row, so the order is deterministic.
        order = np.lexsort((rows, -scores))[:depth]
        return [(self.passage_ids[i].decode("utf-8"), float(scores[j])) for j, i in zip(order, rows[order])]

    def _postings_of(self, q_ids: np.ndarray) -> np.ndarray:
        """Per query id, its postings over all segments."""
        total = np.zeros(len(q_ids), dtype=np.int64)
        for seg in self.segments:
            indptr = np.asarray(seg.indptr)
            total += indptr[q_ids + 1] - indptr[q_ids]
        return total

    def _add_columns(self, out: np.ndarray, q_ids: np.ndarray, q_w: np.ndarray) -> None:
        """out (float32) += the given columns' contributions: the partial sums that only bound the exact ones
        (their rounding is allowed for, see :func:`_partial_slack`). A column's rows are unique within a
        segment, so a fancy-indexed ``+=`` per column is exact; measured at 1M passages it is 1.5x a float64
        bincount over all the columns' postings at once (half the memory traffic, no concatenation)."""
        offset = 0
        for seg in self.segments:
            view = out[offset : offset + seg.n_rows]
            for t, w in zip(q_ids.tolist(), q_w.tolist()):
                r, d = seg.column(t)
                if len(r):
                    view[r] += d * np.float32(w)
            offset += seg.n_rows

    def _maxscore(self, q_ids: np.ndarray, q_w: np.ndarray, depth: int, keep: np.ndarray):
        """(rows, exact scores) holding the exact top ``depth`` rows among ``keep``, or None to go exhaustive."""
        n = self.n_rows
        if n <= depth:
            return None
        colmax = np.max([seg.colmax[q_ids] for seg in self.segments], axis=0).astype(np.float64)
        bound = q_w * colmax
        order = np.argsort(-bound, kind="stable")
        rest = np.concatenate([np.cumsum(bound[order][::-1])[::-1][1:], [0.0]])  # bounds of the ids after each
        cum = np.cumsum(self._postings_of(q_ids)[order])
        s = max(1, int(np.searchsorted(cum, self.essential_postings, side="right")))
        part = np.zeros(n, dtype=np.float32)
        slack = _partial_slack(len(q_ids))
        self._add_columns(part, q_ids[order[:s]], q_w[order[:s]])
        drop = None if keep.all() else ~keep
        while s < len(order):
            if drop is not None:
                part[drop] = 0.0
            theta = _kth_largest(part, depth)  # the K-th best partial score: a lower bound of the K-th exact
            if theta > rest[s - 1]:
                # A row can reach the K-th exact score only if its partial sum, plus what the ids left can add,
                # reaches the K-th partial: both partials with float32 rounding (slack) allowed for.
                cand = np.flatnonzero(part >= (theta * (1 - slack) - rest[s - 1]) / (1 + slack))
                if len(cand) <= self.max_candidates:
                    return cand, self._rescore(cand, q_ids, q_w)
            # Not yet: sum the ids whose bounds add up to more than half of theta left out, then check again.
            nxt = max(s + 1, int(np.searchsorted(-rest, -0.5 * theta, side="left")) + 1)
            self._add_columns(part, q_ids[order[s:nxt]], q_w[order[s:nxt]])
            s = nxt
        return None

    def _rescore(self, rows: np.ndarray, q_ids: np.ndarray, q_w: np.ndarray) -> np.ndarray:
        """Exact scores of ``rows`` (ascending global rows), bit for bit those of :meth:`scores`."""
        out = np.zeros(len(rows), dtype=np.float64)
        offset = 0
        for seg in self.segments:
            lo, hi = np.searchsorted(rows, [offset, offset + seg.n_rows])
            seg.rescore(out[lo:hi], rows[lo:hi] - offset, q_ids, q_w)
            offset += seg.n_rows
        return out

    def rows_of(self, passage_ids: list[str]) -> np.ndarray:
        """A row mask of the given passages (for filtered searches)."""
        wanted = np.array([p.encode("utf-8") for p in passage_ids], dtype=self.passage_ids.dtype if passage_ids else "S1")
        return np.isin(self.passage_ids, wanted) & self.alive

    def document_frequency(self, chunk: int = DF_CHUNK) -> np.ndarray:
        """How many live passages carry each vocabulary id (saved with the postings; computed when not)."""
        if self._df is None:
            df = np.zeros(VOCAB_SIZE, dtype=np.int64)
            offset = 0
            for seg in self.segments:
                indptr = np.asarray(seg.indptr)
                df += np.diff(indptr)
                alive = self.alive[offset : offset + seg.n_rows]
                if not alive.all():
                    # Subtract the dead rows' postings, a chunk at a time (1M passages hold ~100M postings).
                    for a in range(0, int(indptr[-1]), chunk):
                        rows = np.asarray(seg.indices[a : a + chunk])
                        dead = np.flatnonzero(~alive[rows]) + a
                        if len(dead):
                            cols = np.searchsorted(indptr, dead, side="right") - 1
                            df -= np.bincount(cols, minlength=VOCAB_SIZE)
                offset += seg.n_rows
            self._df = df
        return self._df


def _plain(a) -> np.ndarray:
    """``a`` as a plain ndarray (a view when it is an ndarray subclass such as np.memmap)."""
    return a.view(np.ndarray) if isinstance(a, np.ndarray) else np.asarray(a)


def to_columns(cols: np.ndarray, rows: np.ndarray, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(column pointers, rows, values) of entries given in row order: a counting sort by column, each
    column's rows ascending (CSR to CSC).

    A chunk of entries at a time is sorted by column (stable, on 16 bits) and scattered after what earlier
    chunks put in each column. At 1M passages (101M entries): one argsort of every entry 26 s, this 9.8-10.8 s
    (65,536 entries a chunk), scipy's C++ loop, which this replaces, 4.7-6.7 s. Only a full rebuild of the
    postings pays it; an index run's new segment holds only the changed documents' rows.
    """
    counts = np.bincount(cols, minlength=VOCAB_SIZE)
    col_ptr = np.zeros(VOCAB_SIZE + 1, dtype=np.int64)
    np.cumsum(counts, out=col_ptr[1:])
    fill = col_ptr[:-1].copy()  # where each column's next entry goes
    chunk = TO_COLUMNS_CHUNK
    out_rows = np.empty(len(cols), dtype=np.int32)
    out_vals = np.empty(len(cols), dtype=np.float32)
    for a in range(0, len(cols), chunk):
        c = cols[a : a + chunk]
        order = np.argsort(c.astype(np.uint16), kind="stable")  # VOCAB_SIZE < 2**16: a radix sort
        by_col = c[order]
        n_col = np.bincount(c, minlength=VOCAB_SIZE)
        first = np.cumsum(n_col) - n_col  # where each column starts in the sorted chunk
        dest = fill[by_col] + (np.arange(len(c)) - first[by_col])
        out_rows[dest] = rows[a : a + chunk][order]
        out_vals[dest] = vals[a : a + chunk][order]
        fill += n_col
    return col_ptr, out_rows, out_vals


def _partial_slack(n_ids: int) -> float:
    """A bound on the relative rounding error of a float32 partial sum of ``n_ids`` non-negative products
    (weight * float32(query weight): two roundings each, one per addition), with a factor of 2 to spare."""
    return 2.0 * (n_ids + 2) * float(np.finfo(np.float32).eps)


def _kth_largest(x: np.ndarray, k: int) -> float:
    """The k-th largest value of ``x`` (non-negative), without partitioning all of it: only the values above
    a threshold, lowered until at least k pass it (a full np.partition of 1M floats costs ~10 ms)."""
    top = float(x.max())
    cut = top * 0.5
    while cut > 0:
        sub = x[x >= cut]
        if len(sub) >= k:
            return float(np.partition(sub, len(sub) - k)[len(sub) - k])
        cut = cut * 0.5 if cut > top * 1e-6 else 0.0
    return float(np.partition(x, len(x) - k)[len(x) - k])
