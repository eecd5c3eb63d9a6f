"""The indexing stages as functions of one batch: read, split, annotate (clean/mask), embed.

"One pipeline, two runners" (DESIGN): these functions hold no store, no thread and no progress state, so
the local runner (app.pipeline pass 1, app.enrich pass 2) and a distributed runner (a Ray actor per stage)
call the same code. Only ``make_thumbnail`` writes a file (into the folder it is given).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from app.ingest.chunk import split_passages, split_segments
from app.ingest.model import Extracted, Skip
from app.ingest.readers import make_thumbnail, read
from app.store import VectorColumn

# A passage needs this many words of 3+ letters to be indexed (see passage_rows).
MIN_WORDS = 3
_REAL_WORD = re.compile(r"[^\W\d_]{3,}")


class Embedder(Protocol):
    """Fills model columns of passage rows (dense vectors, sparse ids/weights) in place."""

    vocab_model: str

    def vector_columns(self) -> tuple[VectorColumn, ...]:
        """The dense vector columns this embedder fills."""
        ...

    def embed(self, rows: list[dict], on_progress: Callable[[int], None] | None = None) -> None:
        """Fill ``rows`` in place; image rows carry their file path in ``row['path']``."""
        ...


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
class Item:
    """One file on its way through the stages."""

    path: Path
    root: str
    stat: os.stat_result
    doc_id: str
    content_hash: str = ""
    extracted: Extracted | None = None
    state: str = "indexed"
    reason: str = ""


def read_item(item: Item, thumbs: Path, max_bytes: int) -> Item:
    """Stage "read": hash and read one file (thumbnail into ``thumbs``); never raises."""
    try:
        if item.stat.st_size > max_bytes:
            raise Skip(f"too large ({item.stat.st_size / 1e6:.1f} MB > limit {max_bytes / 1e6:.0f} MB)")
        item.content_hash = file_hash(item.path)
        item.extracted = read(item.path, max_bytes=max_bytes)
        if item.extracted.kind == "image":
            make_thumbnail(item.path, thumbs / f"{item.content_hash}.jpg")
    except Skip as exc:
        item.state, item.reason = "skipped", str(exc)
    except Exception as exc:  # one bad file never stops a run: record and go on
        item.state, item.reason = "failed", f"{type(exc).__name__}: {exc}".strip()
    return item


def read_batch(items: list[Item], thumbs: Path, max_bytes: int) -> list[Item]:
    """Stage "read" over a batch."""
    return [read_item(it, thumbs, max_bytes) for it in items]


def doc_row(item: Item, thumbs: Path, n_passages: int) -> dict:
    """The documents-table row of a read item."""
    ex = item.extracted
    meta = dict(ex.meta) if ex else {}
    date = ex.date if ex and ex.date else None
    if date:
        meta.setdefault("date_source", "content")
    elif item.state == "indexed":
        date, meta["date_source"] = _iso_day(item.stat.st_mtime), "modified"
    thumb = thumbs / f"{item.content_hash}.jpg"
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
        "thumb": str(thumb) if item.content_hash and thumb.exists() else "",
        "n_passages": n_passages,
        "indexed_at": time.time(),
    }


def passage_rows(item: Item, doc: dict, passage_chars: int, ex: Extracted | None = None) -> list[dict]:
    """Stage "split": the passage rows of one document, words only (``enriched`` empty: pass 2 to do)."""
    ex = ex or item.extracted
    assert ex is not None, "stage read runs before split"
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
        keep = [i for i, t in enumerate(texts) if _has_words(t)] or list(range(len(texts)))
        spans, texts = [spans[i] for i in keep], [texts[i] for i in keep]
    return [
        {**base, "passage_id": f"{doc['doc_id']}:{i}", "ordinal": i, "start": s, "end": e, "text": t,
         "sparse_ids": [], "sparse_w": [], "enriched": ""}
        for i, ((s, e), t) in enumerate(zip(spans, texts))
    ]


def _has_words(text: str) -> bool:
    """True when ``text`` has MIN_WORDS real words (stops at the MIN_WORDS-th: most passages decide at once)."""
    return sum(1 for _ in islice(_REAL_WORD.finditer(text), MIN_WORDS)) >= MIN_WORDS


def annotate_batch(annotators, docs: list[dict], passages: list[dict]) -> None:
    """Stage "clean/mask": entities, masked embedding text, reprint signatures (in place)."""
    for annotator in annotators:
        annotator.annotate(docs, passages)


# The columns the embedder fills: what a duplicate passage copies from its first occurrence.
MODEL_COLUMNS = ("vec_text", "vec_clip", "sparse_ids", "sparse_w")


def content_key(row: dict) -> tuple:
    """What the models see of a passage: the (masked) text for text, the file for an image."""
    if row["kind"] == "image":
        return ("image", row["path"])
    return (row["kind"], row.get("_embed_text") or row["text"], row["text"])


def embed_batch(embedder: Embedder | None, passages: list[dict], key: str, cache: dict | None = None) -> int:
    """Stage "embed": fill the model columns and mark the passages enriched under ``key``.

    Identical passages (boilerplate, a repeated sentence) are encoded once: within the batch, and across
    batches through ``cache`` (content → model columns; the caller bounds it). Returns how many rows the
    models actually encoded.
    """
    encoded = 0
    if embedder is not None and passages:
        cache = {} if cache is None else cache
        first: dict[tuple, dict] = {}
        todo = []
        for p in passages:
            k = content_key(p)
            if k not in cache and k not in first:
                first[k] = p
                todo.append(p)
        if todo:
            embedder.embed(todo)
            encoded = len(todo)
            for k, p in first.items():
                cache[k] = {c: p[c] for c in MODEL_COLUMNS if c in p}
        for p in passages:
            p.update(cache[content_key(p)])
    for p in passages:
        p["enriched"] = key
    return encoded


def strip_working_fields(rows: list[dict]) -> None:
    """Drop the ``_``-prefixed working fields (copied flag, text to embed): they are not stored."""
    for r in rows:
        for k in [k for k in r if k.startswith("_")]:
            del r[k]


__all__ = ["MODEL_COLUMNS", "Embedder", "Item", "annotate_batch", "content_key", "doc_row", "embed_batch", "file_hash", "passage_rows",
           "read_batch", "read_item", "strip_working_fields"]
