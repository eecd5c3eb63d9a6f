"""Pass 2 of the indexer: add what needs models to passages already in the index.

Pass 1 (app.pipeline) leaves every passage searchable by words with ``enriched`` empty. This pass finds
the passages whose ``enriched`` is not the current models' key, in whole documents (the news annotator
needs all of a page's passages for its entity counts and reprint signatures), and for each small batch
runs the annotators (entities, masked text, signatures) and the embedder, then writes the model columns
back with the key. The key is the commit mark, so the pass is resumable: after a cancel or a crash the next
run continues with the passages not yet marked, and nothing is embedded twice.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path

from app.pipeline import Progress
from app.search.indexes import finish
from app.stages import Embedder, annotate_batch, content_key, embed_batch, strip_working_fields
from app.store import Store

# Passages per pass-2 batch: a few seconds of model time on a laptop CPU, so pause and cancel act fast.
BATCH_PASSAGES = 64
# Content → model columns remembered across batches (a repeated passage is encoded once).
CACHE_ENTRIES = 4096
# Rows per write at most, when most of a slice is content already encoded in this run.
MAX_SLICE = 2048


@dataclass
class EnrichReport:
    """What a pass-2 run did."""

    enriched: int = 0  # passages marked done
    encoded: int = 0  # passages the models actually encoded (identical ones share one encoding)
    pending: int = 0  # passages still without meaning afterwards
    cancelled: bool = False
    seconds: float = 0.0


def pending_by_doc(store: Store) -> Counter:
    """Passages still to do, per document, in table order."""
    return store.documents_lacking_meaning()


def _batches(todo: Counter, size: int):
    """Whole documents per batch, up to ``size`` passages (a bigger document is a batch of its own)."""
    group: list[str] = []
    n = 0
    for doc_id, count in todo.items():
        if group and n + count > size:
            yield group
            group, n = [], 0
        group.append(doc_id)
        n += count
    if group:
        yield group


def _slices(store: Store, todo: Counter, size: int):
    """Pass 2's units of work, in order: ``(documents, passages)`` with ``size`` passages to encode each.

    Whole documents up to ``size`` passages (the news annotator needs all of a page). A long non-news
    document is cut into slices holding ``size`` passages of content new to this run; passages whose
    content already came up (a repeated line, boilerplate) ride along up to ``MAX_SLICE`` rows, since they
    cost a cache look-up, not a model run — so a file of one repeated sentence is written in a few big
    slices rather than hundreds of small ones. Both runners (serial, app.enrich_pool) cut the same slices.
    """
    seen: set = set()
    for group in _batches(todo, size):
        rows = store.passages_lacking_meaning(group)
        docs = store.documents_with_ids(group)
        if any(p["kind"] == "news" for p in rows):
            parts = [rows]
        else:
            parts, part, fresh = [], [], 0
            for p in rows:
                k = content_key(p)
                if k not in seen:
                    seen.add(k)
                    fresh += 1
                part.append(p)
                if fresh >= size or len(part) >= MAX_SLICE:
                    parts.append(part)
                    part, fresh = [], 0
            if part:
                parts.append(part)
            if len(seen) > CACHE_ENTRIES:
                seen.clear()  # as the encoders' caches are: beyond it, content counts as new again
        for part in parts:
            in_part = {p["doc_id"] for p in part}
            yield [d for d in docs if d["doc_id"] in in_part], part


def run_enrich(
    store: Store,
    embedder: Embedder | None,
    annotators: tuple = (),
    *,
    batch_passages: int = BATCH_PASSAGES,
    should_stop: Callable[[], bool] = lambda: False,
    pool=None,
) -> Generator[Progress, None, EnrichReport]:
    """Give meaning to every passage that lacks it for the store's models; yields progress in passages.

    The caller holds ``store.lock()`` and has made the passages table match the models
    (``store.needs_rebuild`` / ``rebuild_passages``). With ``pool`` (app.enrich_pool.EnrichPool) the
    slices are annotated and embedded in its worker processes; otherwise here, by ``embedder`` and
    ``annotators``. Either way this process writes, in order, and checks ``should_stop`` after each write.
    """
    t0 = time.monotonic()
    report = EnrichReport()
    key = store.enrich_key()
    todo = pending_by_doc(store)
    total = sum(todo.values())
    progress = Progress("meaning", total=total, unit="passages")
    yield progress
    slices = _slices(store, todo, batch_passages)
    done = pool.map_ordered(slices) if pool is not None else _compute(slices, embedder, annotators, key)
    for touched, part, encoded in done:
        report.encoded += encoded
        # Every document of the slice is written, with a new indexed_at: the sparse postings and the
        # reprint index find what changed through it (app.search.postings_store).
        for d in touched:
            d["indexed_at"] = time.time()
        store.write_enriched(touched, part)
        report.enriched += len(part)
        progress.done += len(part)
        progress.path = part[-1]["path"] if part else ""
        yield progress
        if should_stop():
            report.cancelled = True
            break
    if report.enriched:
        yield Progress("finishing", done=progress.done, total=total, unit="passages")
        finish(store)
    report.pending = total - report.enriched
    report.seconds = time.monotonic() - t0
    return report


def _compute(slices, embedder: Embedder | None, annotators: tuple, key: str):
    """The serial runner: annotate and embed each slice here, in turn."""
    cache: dict = {}
    for docs, part in slices:
        annotate_batch(annotators, docs, part)
        encoded = embed_batch(embedder, part, key, cache)
        strip_working_fields(part)
        if len(cache) > CACHE_ENTRIES:
            cache.clear()
        yield docs, part, encoded


RATE_FILE = "pass2_rate.json"


def record_rate(root, report: EnrichReport) -> None:
    """Remember pass 2's speed (passages per second) for the status's time estimate."""
    if report.enriched >= 8 and report.seconds > 0:
        path = Path(root) / RATE_FILE
        path.write_text(json.dumps({"version": 1, "passages_per_s": report.enriched / report.seconds}), encoding="utf-8")


def last_rate(root) -> float | None:
    """Pass 2's last measured speed in passages per second, if any."""
    try:
        return float(json.loads((Path(root) / RATE_FILE).read_text(encoding="utf-8"))["passages_per_s"]) or None
    except (OSError, ValueError, KeyError, TypeError):
        return None


__all__ = ["BATCH_PASSAGES", "EnrichReport", "last_rate", "pending_by_doc", "record_rate", "run_enrich"]
