"""The index on disk: LanceDB tables for documents and passages, embedded, under the data root.

Two tables:
- ``documents``: one row per file ever seen under an indexed folder, in exactly one state
  (indexed / skipped / failed) with the reason, plus what incremental runs compare (mtime, size, hash).
- ``passages``: the searchable units (text passages; one row per image), with BM25 text, filter
  columns copied from the document, and the vectors the configured models produce.

``schema_version`` and the model ids live in the table schema metadata. An index written by a newer
app is refused with a clear message; an older one is migrated when first opened; a model change is
detected so the caller can re-embed.

Two passes fill a passage (see app.pipeline and app.enrich): pass 1 writes its words, dates and facets
with ``enriched`` empty; pass 2 adds what needs models and sets ``enriched`` to the key of the models
(:func:`enrich_key`). A passages table is replaced (model change, migration) by building the new one
beside it and swapping the folders, so a crash leaves either the old or the new table, never none.

The package is the one room that talks to LanceDB (an import-linter contract holds it to that):
``tables`` opens, migrates and writes; ``reads`` and ``upkeep`` are the intention-named queries and index
maintenance; ``sql`` builds every filter; ``schema`` is the layout. A new index backend changes this
package and app.location, nothing else.
"""

from app.errors import IndexDamaged, IndexTooNew
from app.store.reads import Reads
from app.store.schema import (
    DOC_SCHEMA,
    PASSAGE_BASE,
    PASSAGE_SIDECARS,
    POSTINGS_DIR,
    SCHEMA_VERSION,
    VECTOR_INDEX_FILE,
    WORDS_COLUMNS,
    VectorColumn,
    enrich_key,
    passage_schema,
)
from app.store.sql import in_list, passage_filter, sql_str
from app.store.tables import Store
from app.store.upkeep import Upkeep, mark_all_for_reading, rebuild_text_index, restore_table_version

__all__ = ["DOC_SCHEMA", "IndexDamaged", "IndexTooNew", "PASSAGE_BASE", "PASSAGE_SIDECARS", "POSTINGS_DIR",
           "SCHEMA_VERSION", "VECTOR_INDEX_FILE", "WORDS_COLUMNS", "Reads", "Store", "Upkeep", "VectorColumn",
           "enrich_key", "in_list", "mark_all_for_reading", "passage_filter", "passage_schema", "rebuild_text_index",
           "restore_table_version", "sql_str"]
