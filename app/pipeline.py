"""Pass 1 of the indexer: scan → read → split → store, words only, as a generator of progress.

``run_index`` yields :class:`Progress` between steps and returns an :class:`IndexReport`; the CLI wraps
it in tqdm, the GUI runs it in a child process and turns each yield into a signal. ``should_stop`` is
checked after every write (a batch of files, or a slice of a big multi-record file), so a cancel acts
within seconds and leaves every finished batch searchable. Pass 2 (models: app.enrich) fills in meaning.

Incremental: a file whose (mtime, size) match the index is not opened; a changed or new file is
hashed, and content already indexed under a path that vanished is a rename (moved, not re-embedded),
while content indexed under a path that still exists is a duplicate (its passages are copied).
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from app.ingest.readers.news.records import metadata_label
from app.ingest.scan import scan

from app.stages import (
    MIN_WORDS,
    Embedder,
    Item,
    annotate_batch,
    doc_row,
    embed_batch,
    file_hash,
    passage_rows,
    read_batch,
    strip_working_fields,
)
from app.search.indexes import finish
from app.store import Store

# Files per write batch: large enough that LanceDB versions stay few, small enough that a cancel or a
# crash loses little work.
BATCH_FILES = 32
# Passages per write: a multi-record file (a 40k-row article CSV) is written in slices of about this
# many, so cancel acts within seconds and progress moves inside it.
BATCH_PASSAGES = 2000
# Found files between two "scanning" progress updates (a big tree shows a count at once).
SCAN_PROGRESS_EVERY = 500

# Batches read ahead of the writing consumer (rclip's LOOKAHEAD_BATCHES trade-off: a little memory for
# keeping the consumer busy while the next files are decoded).
LOOKAHEAD_BATCHES = 2

# Old private names, kept for callers that imported them.
_Item = Item
_passage_rows = passage_rows


@dataclass
class Progress:
    """One step of an indexing run, for a progress bar.

    Pass 1 counts files (phase "indexing"); pass 2 counts passages (phase "meaning", ``unit`` "passages").
    """

    phase: str  # "scanning" | "indexing" | "finishing" | "loading" | "meaning" | "done"
    done: int = 0
    total: int = 0
    path: str = ""
    indexed: int = 0
    skipped: int = 0
    failed: int = 0
    unit: str = "files"


@dataclass
class IndexReport:
    """What a run did."""

    seen: int = 0
    unchanged: int = 0
    indexed: int = 0
    skipped: int = 0
    failed: int = 0
    renamed: int = 0
    duplicates: int = 0
    removed: int = 0
    cancelled: bool = False
    seconds: float = 0.0
    problems: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Pass 2: passages given meaning in this run, and those still waiting for it afterwards.
    enriched: int = 0
    meaning_pending: int = 0
    orphans_swept: int = 0
    # Files read as metadata of other files, by kind ({"title record": 89}): not documents, and not counted
    # in ``skipped`` or listed in ``problems``, which are the user's files that were left out.
    metadata: dict[str, int] = field(default_factory=dict)

    def add_problem(self, path: str, state: str, reason: str) -> None:
        """Count a file that was not indexed: a metadata file (a newspaper title record, a column mapping)
        under ``metadata``, any other under ``skipped`` or ``failed`` and in ``problems``."""
        label = metadata_label(state, reason)
        if label:
            self.metadata[label] = self.metadata.get(label, 0) + 1
            return
        setattr(self, state, getattr(self, state) + 1)
        self.problems.append({"path": path, "state": state, "reason": reason})


def run_index(
    store: Store,
    roots: Iterable[Path | str],
    *,
    embedder: Embedder | None = None,
    annotators: tuple = (),
    passage_chars: int = 1000,
    max_bytes: int = 200_000_000,
    should_stop: Callable[[], bool] = lambda: False,
) -> Generator[Progress, None, IndexReport]:
    """Index ``roots`` incrementally into ``store``; yields progress, returns the report.

    The caller must hold ``store.lock()`` (one writer). Files under ``roots`` that vanished leave the index.
    With no ``embedder`` and no ``annotators`` this is pass 1 (words only; app.enrich adds the rest).
    Given them, it is the one-pass indexer: ``annotators`` see each batch's new document and passage rows
    before embedding (a passage's ``_embed_text``, when set, is what the embedder encodes).
    """
    t0 = time.monotonic()
    report = IndexReport()
    root_paths = [Path(os.path.abspath(r)) for r in roots]
    yield Progress("scanning")
    found: list[tuple[Path, str]] = []
    for top in root_paths:
        if not top.exists():
            report.problems.append({"path": str(top), "state": "failed", "reason": "folder not found"})
            continue
        for p in scan([top]):
            found.append((p, str(top)))
            if len(found) % SCAN_PROGRESS_EVERY == 0:
                yield Progress("scanning", done=len(found))
        yield Progress("scanning", done=len(found))
    # A run killed before its finish left the indexes behind the tables: this run finishes them.
    unfinished = store.unfinished()
    report.orphans_swept = store.sweep_orphans()
    known = {
        r["path"]: r
        for r in store.file_documents(["doc_id", "path", "mtime", "size", "content_hash", "state"])
    }
    seen_paths = {str(p) for p, _ in found}
    root_prefixes = tuple(str(r) + os.sep for r in root_paths) + tuple(str(r) for r in root_paths if r.is_file())
    vanished = {p: r for p, r in known.items() if p.startswith(root_prefixes) and p not in seen_paths}
    by_hash: dict[str, dict] = {r["content_hash"]: r for r in known.values() if r["state"] == "indexed" and r["content_hash"]}

    todo: list[Item] = []
    for path, root in found:
        if not _storable(path):
            # LanceDB (Arrow) stores UTF-8 text only; a name of other bytes (an old Latin-1 archive) would
            # fail the whole batch. Reported, with its bytes escaped, and left out.
            report.problems.append({"path": os.fsencode(path).decode("utf-8", "backslashreplace"),
                                    "state": "skipped", "reason": "file name is not valid UTF-8: rename it to index it"})
            report.skipped += 1
            continue
        try:
            st = path.stat()
        except OSError as exc:
            report.problems.append({"path": str(path), "state": "failed", "reason": str(exc)})
            continue
        old = known.get(str(path))
        if old and old["mtime"] == st.st_mtime and old["size"] == st.st_size:
            report.unchanged += 1
            continue
        todo.append(Item(path, root, st, old["doc_id"] if old else uuid.uuid4().hex))
    report.seen = len(found)

    total = len(todo)
    progress = Progress("indexing", total=total)
    yield progress
    batches: queue.Queue = queue.Queue(maxsize=LOOKAHEAD_BATCHES)
    stop_reading = threading.Event()

    def reader() -> None:
        # One reader thread: PDFium is not thread-safe, and one thread already overlaps I/O and
        # decoding with the writing (and, one-pass, the model) in the consumer.
        for i in range(0, len(todo), BATCH_FILES):
            if stop_reading.is_set():
                break
            batches.put(read_batch(todo[i : i + BATCH_FILES], store.thumbs, max_bytes))
        batches.put(None)

    key = store.enrich_key() if embedder is not None else ""
    if total:
        store.mark_unfinished()
    thread = threading.Thread(target=reader, name="lexiscope-reader", daemon=True)
    thread.start()
    docs: list[dict] = []
    passages: list[dict] = []

    def flush() -> None:
        new = [p for p in passages if not p.get("_copied")]
        annotate_batch(annotators, docs, new)
        if embedder is not None:
            embed_batch(embedder, new, key)
        strip_working_fields(passages)
        store.write_batch(docs, passages)
        docs.clear()
        passages.clear()

    try:
        while not report.cancelled and (batch := batches.get()) is not None:
            for item in batch:
                progress.done += 1
                progress.path = str(item.path)
                pairs = _handle_item(item, store, vanished, by_hash, report, passage_chars)
                for doc, prows in pairs:
                    docs.append(doc)
                    passages.extend(prows)
                    # Slices of a big multi-record file: its file row comes last (see _records), so a
                    # file cut short by a cancel or a crash is redone whole by the next run.
                    if len(passages) >= BATCH_PASSAGES:
                        flush()
                        yield progress
                        if should_stop():
                            report.cancelled = True
                            break
                if report.cancelled:
                    break
            if report.cancelled:
                break
            flush()
            progress.indexed, progress.skipped, progress.failed = report.indexed, report.skipped, report.failed
            yield progress
            if should_stop():
                report.cancelled = True
    finally:
        stop_reading.set()
        while thread.is_alive():  # drain so the reader can exit
            try:
                batches.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()

    if not report.cancelled and vanished:
        store.delete_documents([r["doc_id"] for r in vanished.values()])
        report.removed = len(vanished)
    yield Progress("finishing", done=progress.done, total=total, indexed=report.indexed,
                   skipped=report.skipped, failed=report.failed)
    if total or report.removed or report.orphans_swept or unfinished:
        finish(store)
    report.seconds = time.monotonic() - t0
    yield Progress("done", done=progress.done, total=total, indexed=report.indexed,
                   skipped=report.skipped, failed=report.failed)
    return report


def _handle_item(item, store, vanished, by_hash, report, passage_chars) -> list[tuple[dict, list[dict]]]:
    """Turn a read item into (document row, passage rows) pairs: none for a rename, several for records."""
    if item.state != "indexed":
        report.add_problem(str(item.path), item.state, item.reason)
        return [(doc_row(item, store.thumbs, 0), [])]
    ex = item.extracted
    if ex.records is not None:
        return _records(item, store, report, passage_chars)
    twin = by_hash.get(item.content_hash)
    if twin and twin["path"] in vanished and twin["path"] != str(item.path):
        # Renamed or moved: same content, so keep its passages and vectors, just repoint them.
        doc = doc_row(item, store.thumbs, 0)
        doc["doc_id"] = twin["doc_id"]
        store.move_document(twin["doc_id"], doc)
        del vanished[twin["path"]]
        report.renamed += 1
        report.indexed += 1
        return []
    doc = doc_row(item, store.thumbs, 0)
    if twin:
        # Content the index already has: copy its passages (vectors and pass-2 state included). Either a
        # duplicate elsewhere, or this very file touched (a new modification time: copied over itself,
        # restored from a backup): re-reading 118 touched chronam-1916 pages re-embedded all 3,345 passages
        # (5.5 minutes here). The rows are rewritten with the new document fields (a date from the mtime).
        touched = twin["doc_id"] == item.doc_id
        rows = store.passages_of([twin["doc_id"]])
        if rows:
            for r in rows:
                r.update({k: doc[k] for k in ("doc_id", "path", "folder", "kind", "title", "date")})
                r["passage_id"] = f"{item.doc_id}:{r['ordinal']}"
                r["_copied"] = True
            doc["n_passages"] = len(rows)
            if touched:
                report.unchanged += 1
            else:
                report.duplicates += 1
                report.indexed += 1
            return [(doc, rows)]
    prows = passage_rows(item, doc, passage_chars)
    doc["n_passages"] = len(prows)
    report.indexed += 1
    by_hash[item.content_hash] = doc
    return [(doc, prows)]


def _storable(path: Path) -> bool:
    """True when ``path`` can be stored as UTF-8 text (no undecodable bytes in its name)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _records(item, store, report, passage_chars) -> list[tuple[dict, list[dict]]]:
    """A multi-record file: one document per record (path ``file#record``), then the file's own row.

    The file row is last because it is the commit mark: until it is written with the new (mtime, size),
    the next run redoes the file. The previous version's records go first, here, since a big file is
    written in several slices and only the first may delete.
    """
    store.delete_children([item.doc_id])
    container = doc_row(item, store.thumbs, 0)
    container["kind"] = "collection"
    out = []
    for i, rec in enumerate(item.extracted.records):
        rid = str(rec.meta.get("record_id", i))
        doc = dict(container)
        doc.update(
            doc_id=f"{item.doc_id}/{i}", parent=item.doc_id, path=f"{item.path}#{rid}", kind=rec.kind,
            title=rec.title or f"{item.path.stem} #{rid}", date=rec.date or container["date"],
            meta=json.dumps(rec.meta, ensure_ascii=False, default=str), thumb="",
        )
        if not rec.text.strip():
            continue
        prows = passage_rows(item, doc, passage_chars, ex=rec)
        doc["n_passages"] = len(prows)
        out.append((doc, prows))
    container["n_passages"] = 0
    container["meta"] = json.dumps({**json.loads(container["meta"]), "records": len(out)})
    report.indexed += 1
    return out + [(container, [])]


def forget_root(store: Store, root: Path | str) -> int:
    """Remove every document under ``root`` from the index; returns how many."""
    root = os.path.abspath(root)
    rows = [r for r in store.document_rows(["doc_id", "path"]) if r["path"] == root or r["path"].startswith(root + os.sep)]
    store.delete_documents([r["doc_id"] for r in rows])
    if rows:
        finish(store)
    return len(rows)


__all__ = ["BATCH_PASSAGES", "Embedder", "IndexReport", "MIN_WORDS", "Progress", "file_hash", "forget_root",
           "run_index"]
