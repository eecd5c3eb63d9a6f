"""Searches through pylance at the version a search reads: the quick dense search, index warm-up (a Store mixin).

A pylance dataset of the passages table at the searched version (:meth:`LanceViews._passages_at_version`)
answers the hot queries of a search without LanceDB's Python API, whose event loop thread added ~4 ms per
query and is shared by a search's concurrent queries: the full-text search (app.store.reads), the rows of the
results, and the dense ANN search here. The views of successive versions share one Lance session, so what
:meth:`LanceViews.prewarm_indexes` loads (the vector and full-text indexes) stays cached as the table grows.

The quick dense search. LanceDB's own ANN query does two costly things beyond probing the index, measured
at 1M passages (2-core box, nprobes 70, 100 rows; bench/README "eighth session"): it compares every row
outside the index (a flat pass that took ~7 ms of wall and ~12 ms of CPU even for 10 such rows), and its
refine step re-reads and re-ranks all 100 rows with their full vectors (~6 ms). Here the index is probed
alone (``fast_search``), the rows outside it are kept in memory per table version (few: ``optimize()`` folds
them in from 20,000, app.search.indexes) and compared exactly, and only the ``rerank`` best rows of the
quantised order are re-read and re-ranked exactly: 20 rows gave the same dense recall@10 as re-ranking 100
(1.000 on the 1M bench index). Rows past ``rerank`` keep the index's 8-bit estimate of their cosine (off by
0.0007 in the median, 0.0035 at most, for ranks 21-100 of 51 queries at 1M).

Where this cannot hold (no pylance, as in the packaged app; many rows outside the index; files gone),
:meth:`LanceViews._view_vector_search` answers None and LanceDB's query runs instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

# Rows outside the index compared in memory: above this LanceDB's query (which scans them) is used. 50,000
# rows of 384 float32 are ~77 MB; optimize() adds new rows to the index from 20,000 (app.search.indexes).
MAX_UNINDEXED = 50_000


def _unit_rows(values, dim: int) -> np.ndarray:
    """A fixed-size-list column's values as float32 rows of length 1 (zero rows stay zero)."""
    mat = np.asarray(values, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    return mat / np.where(norms > 0, norms, 1.0)


class LanceViews:
    """Pylance views of the passages table (mixed into Store, beside :class:`app.store.reads.Reads`)."""

    _index_dir: Path
    _view: tuple | None = None  # ((version, folder inode), pylance dataset of passages or None)
    _view_session = None  # the Lance session every view shares (its index cache)
    _memo: tuple | None = None  # ((table version, folder inode), {name: value}): _view_memo

    if TYPE_CHECKING:
        # What app.store.reads.Reads supplies in Store, declared so that mypy checks the calls (and, in Store,
        # that these signatures agree with Reads' own).
        def passages_version(self) -> int: ...

        def _passages_folder_id(self) -> int: ...

        def _with_passage_ids(self, row_ids: np.ndarray, scores) -> list[tuple[dict, float]]: ...

    def _passages_at_version(self) -> Any:
        """The passages table as a pylance dataset at the version this store reads, opened once per version
        and table folder; None without pylance (the packaged app) or where the open fails."""
        key = (self.passages_version(), self._passages_folder_id())
        cached = self._view
        if cached is not None and cached[0] == key:
            return cached[1]
        from app.lazy_import import import_lance

        try:
            ds = import_lance().dataset(str(self._index_dir / "passages.lance"), version=key[0],
                                        session=self._view_session)
            self._view_session = ds.session()
        except Exception:  # noqa: BLE001 - no pylance, or a version not readable this way: LanceDB reads
            ds = None
        self._view = (key, ds)
        return ds

    def _forget_view(self) -> None:
        """Drop the view (its version's files are gone: compacted since); the next read opens the current one."""
        self._view = None

    def prewarm_indexes(self) -> list[str]:
        """Load the passages' vector and full-text indexes into the views' cache; the names of those loaded.

        Without it each new query loads the index partitions it probes: at 1M passages a dense query took
        ~30 ms until most of the 1,000 partitions had been read, 7.3 ms after (0.62 s and ~390 MB to load the
        vector index, 0.57 s and ~150 MB the full-text one; bench/README "eighth session"). For a process that
        keeps searching (the window's search process), not for a one-off command-line search.
        """
        view = self._passages_at_version()
        if view is None:
            return []
        done = []
        for index in view.describe_indices():
            if index.index_type.upper().startswith(("IVF", "INVERTED")):
                try:
                    view.prewarm_index(index.name)
                except Exception:  # noqa: BLE001 - a warm-up only: a search loads what it needs anyway
                    continue
                done.append(index.name)
        return done

    def _view_vector_search(self, vector: np.ndarray, column: str, *, where: str | None, limit: int,
                            nprobes: int | None, refine_factor: int | None,
                            rerank: int | None) -> list[tuple[dict, float]] | None:
        """An id-only :meth:`Reads.vector_search` through the view at the searched version; None where only
        LanceDB can answer (no pylance, the version's files gone, many rows outside the index)."""
        view = self._passages_at_version()
        if view is None:
            return None
        if nprobes and rerank and not where:
            return self._quick_vector_search(view, vector, column, limit=limit, nprobes=nprobes, rerank=rerank)
        if not nprobes and column in self._view_memo(view, "indexed", lambda: _indexed_columns(view)):
            return None  # an index searched without settings: LanceDB's defaults, as before the view
        nearest: dict = {"column": column, "q": vector, "k": limit, "metric": "cosine"}
        if nprobes:
            # Re-ranked exactly, as LanceDB's query in Reads.vector_search (see there why).
            nearest |= {"nprobes": nprobes, "refine_factor": max(1, refine_factor or 1)}
        try:
            found = view.to_table(columns=["_distance"], with_row_id=True, nearest=nearest, filter=where,
                                  prefilter=bool(where))
        except Exception:  # noqa: BLE001 - that version's files gone (compacted since): LanceDB's query answers
            self._forget_view()
            return None
        return self._with_passage_ids(found.column("_rowid").to_numpy(),
                                      1.0 - found.column("_distance").to_numpy().astype(np.float64))

    def _quick_vector_search(self, view, vector: np.ndarray, column: str, *, limit: int, nprobes: int,
                             rerank: int) -> list[tuple[dict, float]] | None:
        """The ``limit`` passages nearest ``vector`` by cosine through ``view`` (see the module's docstring),
        or None where only LanceDB's query can answer."""
        outside = self._outside_index(view, column)
        if outside is None:
            return None
        # Through pylance at the searched version, not LanceDB's query: the same index and rows, without
        # LanceDB's Python event loop (7.6 vs 11.6 ms per query alone at 1M; bench/README "eighth session").
        nearest = {"column": column, "q": vector, "k": max(limit, rerank), "nprobes": nprobes, "metric": "cosine"}
        try:
            found = view.to_table(columns=["_distance"], with_row_id=True, fast_search=True, nearest=nearest)
        except Exception:  # noqa: BLE001 - that version's files gone (compacted since): LanceDB's query answers
            self._forget_view()
            return None
        rows = found.column("_rowid").to_numpy().astype(np.uint64)
        # A cosine IVF index ranks normalised vectors by squared L2 distance, 2 (1 - cos) (app.store.reads).
        scores = 1.0 - found.column("_distance").to_numpy().astype(np.float64) / 2.0
        q = np.asarray(vector, dtype=np.float32)
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        head = rows[:rerank]
        if len(head):
            wanted = np.sort(head)
            try:
                table = view._take_rows(wanted.tolist(), columns=[column])  # noqa: SLF001 - pylance take by row id
            except Exception:  # noqa: BLE001 - that version's files gone (compacted since): LanceDB's query answers
                self._forget_view()
                return None
            if table.num_rows != len(wanted):
                return None  # a row not there at this version: LanceDB's query decides
            exact = _unit_rows(table.column(column).combine_chunks().values, len(q)) @ q
            scores[: len(head)] = exact[np.searchsorted(wanted, head)]
        extra_rows, extra_vecs = outside
        if len(extra_rows):
            rows = np.concatenate([rows, extra_rows])
            scores = np.concatenate([scores, extra_vecs @ q])
        best = np.argsort(-scores, kind="stable")[:limit]
        return self._with_passage_ids(rows[best], scores[best])

    def _view_memo(self, view, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, once per view (table version and folder) and ``name``."""
        key = (view.version, self._passages_folder_id())
        memo = self._memo
        if memo is None or memo[0] != key:
            memo = self._memo = (key, {})
        if name not in memo[1]:
            memo[1][name] = compute()
        return memo[1][name]

    def _outside_index(self, view, column: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(row ids, unit vectors) of the rows of ``view`` (a pylance dataset) that ``column``'s index does
        not cover and that have a vector; None where there are more than MAX_UNINDEXED of them. Once per view."""
        return self._view_memo(view, f"outside {column}", lambda: _rows_outside(view, column))


def _indexed_columns(view) -> set[str]:
    """The columns of ``view`` with an index of any kind."""
    return {name for index in view.describe_indices() for name in index.field_names}


def _rows_outside(view, column: str) -> tuple[np.ndarray, np.ndarray] | None:
    """What :meth:`LanceViews._outside_index` remembers."""
    covered: set[int] = set()
    for index in view.describe_indices():
        if column in index.field_names:
            for segment in index.segments:
                covered |= set(segment.fragment_ids)
    rest = [f for f in view.get_fragments() if f.fragment_id not in covered]
    if sum(f.count_rows() for f in rest) > MAX_UNINDEXED:
        return None
    if not rest:
        return np.zeros(0, dtype=np.uint64), np.zeros((0, 1), dtype=np.float32)
    table = view.scanner(columns=[column], with_row_id=True, fragments=rest, filter=f"{column} IS NOT NULL").to_table()
    dim = view.schema.field(column).type.list_size
    return (table.column("_rowid").to_numpy().astype(np.uint64),
            _unit_rows(table.column(column).combine_chunks().values, dim))
