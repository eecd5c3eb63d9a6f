"""The indexer: scan → read → (mask) → embed → store, as a generator of progress.

``run_index`` yields :class:`Progress` between steps and returns an :class:`IndexReport`; the CLI wraps
it in tqdm, the GUI runs it on a worker thread and turns each yield into a signal. ``should_stop`` is
checked between batches, so a cancel leaves every finished batch searchable.

Incremental: a file whose (mtime, size) match the index is not opened; a changed or new file is
hashed, and content already indexed under a path that vanished is a rename (moved, not re-embedded),
while content indexed under a path that still exists is a duplicate (its passages are copied).
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from app.ingest.chunk import split_passages, split_segments
from app.ingest.model import Extracted, Skip
from app.ingest.readers import make_thumbnail, read
from app.ingest.scan import scan
from app.store import Store, VectorColumn, in_list

# Files per write batch: large enough that LanceDB versions stay few, small enough that a cancel or a
# crash loses little work.
BATCH_FILES = 32
# A passage needs this many words of 3+ letters to be indexed (see _passage_rows).
MIN_WORDS = 3
_REAL_WORD = re.compile(r"[^\W\d_]{3,}")

# Batches read ahead of the embedding/writing consumer (rclip's LOOKAHEAD_BATCHES trade-off: a little
# memory for keeping the model busy while the next files are decoded).
LOOKAHEAD_BATCHES = 2


class Embedder(Protocol):
    """Fills model columns of passage rows (dense vectors, sparse ids/weights) in place."""

    vocab_model: str

    def vector_columns(self) -> tuple[VectorColumn, ...]:
        """The dense vector columns this embedder fills."""
        ...

    def embed(self, rows: list[dict], on_progress: Callable[[int], None] | None = None) -> None:
        """Fill ``rows`` in place; image rows carry their file path in ``row['path']``."""
        ...


@dataclass
class Progress:
    """One step of an indexing run, for a progress bar."""

    phase: str  # "scanning" | "indexing" | "finishing" | "done"
    done: int = 0
    total: int = 0
    path: str = ""
    indexed: int = 0
    skipped: int = 0
    failed: int = 0


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


def file_hash(path: Path) -> str:
    """A content hash (BLAKE2b, 128-bit) for rename and duplicate detection."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _iso_day(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d")


@dataclass
class _Item:
    """A file read by the lookahead thread, ready for the consumer."""

    path: Path
    root: str
    stat: os.stat_result
    doc_id: str
    content_hash: str = ""
    extracted: Extracted | None = None
    state: str = "indexed"
    reason: str = ""


def _read_item(item: _Item, store: Store, max_bytes: int) -> _Item:
    """Hash and read one file; never raises (failures become the item's state)."""
    try:
        if item.stat.st_size > max_bytes:
            raise Skip(f"too large ({item.stat.st_size / 1e6:.1f} MB > limit {max_bytes / 1e6:.0f} MB)")
        item.content_hash = file_hash(item.path)
        item.extracted = read(item.path, max_bytes=max_bytes)
        if item.extracted.kind == "image":
            make_thumbnail(item.path, store.thumbs / f"{item.content_hash}.jpg")
    except Skip as exc:
        item.state, item.reason = "skipped", str(exc)
    except Exception as exc:  # one bad file never stops a run: record and go on
        item.state, item.reason = "failed", f"{type(exc).__name__}: {exc}".strip()
    return item


def _doc_row(item: _Item, store: Store, n_passages: int) -> dict:
    ex = item.extracted
    meta = dict(ex.meta) if ex else {}
    date = ex.date if ex and ex.date else None
    if date:
        meta.setdefault("date_source", "content")
    elif item.state == "indexed":
        date, meta["date_source"] = _iso_day(item.stat.st_mtime), "modified"
    thumb = store.thumbs / f"{item.content_hash}.jpg"
    return {
        "doc_id": item.doc_id,
        "parent": "",
        "path": str(item.path),
        "root": item.root,
        "folder": str(item.path.parent),
        "kind": ex.kind if ex and item.state == "indexed" else "",
        "title": (ex.title if ex else "") or item.path.stem,
        "date": date or "",
        "mtime": item.stat.st_mtime,
        "size": item.stat.st_size,
        "content_hash": item.content_hash,
        "state": item.state,
        "reason": item.reason,
        "meta": json.dumps(meta, ensure_ascii=False, default=str),
        "thumb": str(thumb) if thumb.exists() else "",
        "n_passages": n_passages,
        "indexed_at": time.time(),
    }


def _passage_rows(item: _Item, doc: dict, passage_chars: int, ex: Extracted | None = None) -> list[dict]:
    ex = ex or item.extracted
    base = {k: doc[k] for k in ("doc_id", "path", "folder", "kind", "title", "date")}
    base.update(source=str(ex.meta.get("newspaper", "")), place=str(ex.meta.get("place", "")), entities=[])
    if ex.kind == "image":
        # Images are findable by name, folder and camera even with no image model installed.
        words = [doc["title"], item.path.name, item.path.parent.name, str(ex.meta.get("camera", ""))]
        spans = [(0, 0)]
        texts = ["\n".join(w for w in words if w)]
    else:
        if ex.segments:
            spans = split_segments(ex.text, ex.segments, passage_chars, int(passage_chars * 1.5))
        else:
            spans = split_passages(ex.text, passage_chars, int(passage_chars * 1.5))
        texts = [ex.text[s:e] for s, e in spans]
        # OCR debris cut out as its own piece ("III", "E", a rule of dashes) has nothing to find, and a
        # dense model matches it to anything: keep only passages with a few real words.
        keep = [i for i, t in enumerate(texts) if len(_REAL_WORD.findall(t)) >= MIN_WORDS] or list(range(len(texts)))
        spans, texts = [spans[i] for i in keep], [texts[i] for i in keep]
    return [
        {**base, "passage_id": f"{item.doc_id}:{i}", "ordinal": i, "start": s, "end": e, "text": t,
         "sparse_ids": [], "sparse_w": []}
        for i, ((s, e), t) in enumerate(zip(spans, texts))
    ]


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
    ``annotators`` see each batch's new document and passage rows before embedding (entity recognition
    and masking live there); a passage's ``_embed_text``, when set, is what the embedder encodes.
    """
    t0 = time.monotonic()
    report = IndexReport()
    roots = [Path(os.path.abspath(r)) for r in roots]
    yield Progress("scanning")
    found: list[tuple[Path, str]] = []
    for root in roots:
        if not root.exists():
            report.problems.append({"path": str(root), "state": "failed", "reason": "folder not found"})
            continue
        found.extend((p, str(root)) for p in scan([root]))
        yield Progress("scanning", done=len(found))
    known = {
        r["path"]: r
        for r in store.document_rows(["doc_id", "path", "mtime", "size", "content_hash", "state"], where="parent = ''")
    }
    seen_paths = {str(p) for p, _ in found}
    root_prefixes = tuple(str(r) + os.sep for r in roots) + tuple(str(r) for r in roots if r.is_file())
    vanished = {p: r for p, r in known.items() if p.startswith(root_prefixes) and p not in seen_paths}
    by_hash: dict[str, dict] = {r["content_hash"]: r for r in known.values() if r["state"] == "indexed" and r["content_hash"]}

    todo: list[_Item] = []
    for path, root in found:
        try:
            st = path.stat()
        except OSError as exc:
            report.problems.append({"path": str(path), "state": "failed", "reason": str(exc)})
            continue
        old = known.get(str(path))
        if old and old["mtime"] == st.st_mtime and old["size"] == st.st_size:
            report.unchanged += 1
            continue
        todo.append(_Item(path, root, st, old["doc_id"] if old else uuid.uuid4().hex))
    report.seen = len(found)

    total = len(todo)
    progress = Progress("indexing", total=total)
    yield progress
    batches: queue.Queue = queue.Queue(maxsize=LOOKAHEAD_BATCHES)
    stop_reading = threading.Event()

    def reader() -> None:
        # One reader thread: PDFium is not thread-safe, and one thread already overlaps I/O and
        # decoding with the model running in the consumer.
        for i in range(0, len(todo), BATCH_FILES):
            if stop_reading.is_set():
                break
            batches.put([_read_item(it, store, max_bytes) for it in todo[i : i + BATCH_FILES]])
        batches.put(None)

    thread = threading.Thread(target=reader, name="lexiscope-reader", daemon=True)
    thread.start()
    try:
        while (batch := batches.get()) is not None:
            docs, passages = [], []
            for item in batch:
                progress.done += 1
                progress.path = str(item.path)
                for doc, prows in _handle_item(item, store, vanished, by_hash, report, passage_chars):
                    docs.append(doc)
                    passages.extend(prows)
            new = [p for p in passages if not p.get("_copied")]
            for annotator in annotators:
                annotator.annotate(docs, new)
            if embedder is not None and new:
                embedder.embed(new)
            for p in passages:
                for key in [k for k in p if k.startswith("_")]:
                    del p[key]  # working fields (copied flag, text to embed) are not stored
            store.write_batch(docs, passages)
            progress.indexed, progress.skipped, progress.failed = report.indexed, report.skipped, report.failed
            yield progress
            if should_stop():
                report.cancelled = True
                break
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
    if total or report.removed:
        store.finish()
    report.seconds = time.monotonic() - t0
    yield Progress("done", done=progress.done, total=total, indexed=report.indexed,
                   skipped=report.skipped, failed=report.failed)
    return report


def _handle_item(item, store, vanished, by_hash, report, passage_chars) -> list[tuple[dict, list[dict]]]:
    """Turn a read item into (document row, passage rows) pairs: none for a rename, several for records."""
    if item.state != "indexed":
        setattr(report, item.state, getattr(report, item.state) + 1)
        report.problems.append({"path": str(item.path), "state": item.state, "reason": item.reason})
        return [(_doc_row(item, store, 0), [])]
    ex = item.extracted
    if ex.records is not None:
        return _records(item, store, report, passage_chars)
    twin = by_hash.get(item.content_hash)
    if twin and twin["path"] in vanished and twin["path"] != str(item.path):
        # Renamed or moved: same content, so keep its passages and vectors, just repoint them.
        doc = _doc_row(item, store, 0)
        doc["doc_id"] = twin["doc_id"]
        store.move_document(twin["doc_id"], doc)
        del vanished[twin["path"]]
        report.renamed += 1
        report.indexed += 1
        return []
    doc = _doc_row(item, store, 0)
    if twin and twin["doc_id"] != item.doc_id:
        # Duplicate content elsewhere: copy its passages (vectors included) instead of re-embedding.
        rows = store.passage_rows(f"doc_id = '{twin['doc_id']}'")
        if rows:
            for r in rows:
                r.update({k: doc[k] for k in ("doc_id", "path", "folder", "kind", "title", "date")})
                r["passage_id"] = f"{item.doc_id}:{r['ordinal']}"
                r["_copied"] = True
            doc["n_passages"] = len(rows)
            report.duplicates += 1
            report.indexed += 1
            return [(doc, rows)]
    prows = _passage_rows(item, doc, passage_chars)
    doc["n_passages"] = len(prows)
    report.indexed += 1
    by_hash[item.content_hash] = doc
    return [(doc, prows)]


def _records(item, store, report, passage_chars) -> list[tuple[dict, list[dict]]]:
    """A multi-record file: one container row plus one document per record (path ``file#record``)."""
    container = _doc_row(item, store, 0)
    container["kind"] = "collection"
    out = [(container, [])]
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
        prows = _passage_rows(item, doc, passage_chars, ex=rec)
        doc["n_passages"] = len(prows)
        out.append((doc, prows))
    container["n_passages"] = 0
    container["meta"] = json.dumps({**json.loads(container["meta"]), "records": len(out) - 1})
    report.indexed += 1
    return out


def forget_root(store: Store, root: Path | str) -> int:
    """Remove every document under ``root`` from the index; returns how many."""
    root = os.path.abspath(root)
    rows = [r for r in store.document_rows(["doc_id", "path"]) if r["path"] == root or r["path"].startswith(root + os.sep)]
    store.delete_documents([r["doc_id"] for r in rows])
    if rows:
        store.finish()
    return len(rows)


__all__ = ["Embedder", "IndexReport", "Progress", "file_hash", "forget_root", "in_list", "run_index"]
