"""The tables' own indexes (full text, ids, vectors) and compaction, and the repair of a local index that may
not open as a store. A mixin of :class:`app.store.Store`; app.search.indexes decides when each runs."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lancedb.table import LanceTable


class Upkeep:
    """Index maintenance of the two tables (mixed into Store)."""

    documents: LanceTable
    passages: LanceTable
    _lance: dict | None = None  # a lazy store's pylance datasets (app.store.reads)

    def _table(self, name: str):
        return {"passages": self.passages, "documents": self.documents}[name]

    def _indexes(self, table: str) -> list[tuple[str, list[str]]]:
        """(type, columns) of each index of a table (through pylance while a lazy store has not opened LanceDB)."""
        lance = self._lance
        if lance is not None:
            return [(d.index_type, list(d.field_names)) for d in lance[table].describe_indices()]
        return [(str(ix.index_type), list(ix.columns)) for ix in self._table(table).list_indices()]

    def indexed_columns(self, kind: str, table: str = "passages") -> set[str]:
        """Columns of a table ("passages" or "documents") with an index of ``kind``: "text" (full text),
        "id" (BTree) or "vector" (IVF)."""
        out: set[str] = set()
        for index_type, columns in self._indexes(table):
            # LanceDB and pylance name them differently ("FTS"/"Inverted", "IvfSq"/"IVF_SQ").
            index_type = index_type.upper()
            if (kind == "text" and index_type in ("FTS", "INVERTED")) or (kind == "id" and index_type == "BTREE") \
                    or (kind == "vector" and index_type.startswith("IVF")):
                out.update(columns)
        return out

    def ensure_text_index(self) -> None:
        """The full-text (BM25) index on the passages' text, created once (later rows join it by :meth:`optimize`)."""
        if self.passages.count_rows() and not self.indexed_columns("text"):
            from lancedb.index import FTS

            # Positions: phrase queries ("a quoted query") need them.
            self.passages.create_index("text", config=FTS(with_position=True), replace=True)

    def ensure_id_indexes(self) -> None:
        """BTree indexes on the id columns.

        Id lookups (a result's full row, a document's passages to replace, a document's metadata) are
        ``IN (...)`` filters: without a scalar index each one scans the whole column (1M rows at scale).
        """
        for table, column in (("passages", "passage_id"), ("passages", "doc_id"), ("documents", "doc_id")):
            if self._table(table).count_rows() and column not in self.indexed_columns("id", table):
                from lancedb.index import BTree

                self._table(table).create_index(column, config=BTree(), replace=True)

    def rows_with_vector(self, column: str) -> int:
        """Passages whose vector ``column`` is filled (a scan of the column: 9.5 s at 1M passages)."""
        return self.passages.count_rows(f"{column} IS NOT NULL")

    def create_vector_index(self, column: str, rows: int) -> None:
        """Train (or retrain) the ANN index of a vector column on its ``rows`` filled rows."""
        from lancedb.index import IvfSq

        # IVF_SQ: k-means plus 8-bit scalar quantisation, sqrt(rows) partitions (LanceDB's default sizing).
        # Measured at 100k clustered 384-d vectors on this 2-core box under load: IVF_SQ trained in 23 s and
        # reached recall@10 1.000 at nprobes 20 / refine 4 (21 ms); IVF_PQ took 687 s to train, IVF_HNSW_SQ
        # 54 s for only 20k rows, and IVF_FLAT needed 118 ms for the same recall.
        config = IvfSq(distance_type="cosine", num_partitions=max(1, int(math.sqrt(rows))))
        self.passages.create_index(column, config=config, replace=True)

    def unindexed_rows(self, table: str) -> int:
        """The most rows of ``table`` that any of its indexes does not cover yet."""
        unindexed = 0
        for ix in self._table(table).list_indices():
            stats = self._table(table).index_stats(ix.name)
            if stats is not None:
                unindexed = max(unindexed, stats.num_unindexed_rows)
        return unindexed

    def small_fragments(self, table: str) -> int:
        """How many small fragments (one per write batch) ``table`` holds."""
        return self._table(table).stats()["fragment_stats"]["num_small_fragments"]

    def row_count(self, table: str) -> int:
        """Rows in ``table`` ("passages" or "documents")."""
        return self._table(table).count_rows()

    def optimize(self, table: str) -> None:
        """Compact ``table``'s small fragments and fold new rows into its indexes."""
        self._table(table).optimize()


def rebuild_text_index(root: Path) -> None:
    """Drop and rebuild the passages' full-text index of the local index under ``root`` (app.repair: the
    store may not open while the index is damaged)."""
    import lancedb
    from lancedb.index import FTS

    table = lancedb.connect(root / "index").open_table("passages")
    for ix in table.list_indices():
        if str(ix.index_type).upper() in ("FTS", "INVERTED"):
            table.drop_index(ix.name)
    if table.count_rows():
        table.create_index("text", config=FTS(with_position=True), replace=True)


def restore_table_version(root: Path, name: str, version: int) -> None:
    """Make ``version`` of table ``name`` of the local index under ``root`` its latest again (app.repair)."""
    import lancedb

    lancedb.connect(root / "index").open_table(name).restore(version)


def mark_all_for_reading(root: Path) -> None:
    """Make the next run read every indexed file of the local index under ``root`` again (app.repair)."""
    import lancedb

    db = lancedb.connect(root / "index")
    if "documents" in db.list_tables().tables:
        docs = db.open_table("documents")
        # mtime -1 never matches a file on disk: the next run reads every file again.
        docs.update(where="state = 'indexed'", values={"mtime": -1.0})
