"""Pass 2 across the cores: worker processes annotate and embed while the indexer reads and writes.

Serial pass 2 keeps 0.8–0.95 of 2 cores busy: spaCy's NER runs on one thread, the encoder's threads wait
on each other for one short passage at a time, and the reads and writes leave the models idle. Here each
worker process loads the models once (on one thread) and takes whole slices — annotate (NER, masking,
signatures), then embed — while the parent reads the next slices and writes the finished ones, in order.

The parent alone writes, so pass 2's commit mark (a passage's ``enriched`` key) and its fault points are
those of the serial run, and a kill anywhere resumes with nothing embedded twice. A vector is a function
of its text alone (models.text encodes one text per run), and slices are cut the same way in both
runners, so the index is the same passage for passage (bench/pipelined_vs_serial.py, tests/integration/
test_two_passes.py). Workers are spawned, not forked: the parent runs LanceDB's and ONNX Runtime's threads.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from pathlib import Path

from app.config import Settings
from app.stages import annotate_batch, embed_batch, strip_working_fields

# Below this many passages to do, starting processes and loading the models in each costs more than it saves.
MIN_PASSAGES = 256
# Slices handed out ahead per worker: one running, one waiting, so a worker never idles on the parent.
AHEAD_PER_WORKER = 2
# Content → model columns remembered per worker (as app.enrich.CACHE_ENTRIES in the serial run).
CACHE_ENTRIES = 4096

_worker: dict = {}


def _init(settings: Settings, root: str) -> None:
    """Worker start: one encoder thread (the workers share the cores), the models, the annotators."""
    from models.device import configure_threads

    configure_threads(1)
    exit_with_parent()
    from app.embed import build_embedder
    from app.news.annotate import annotators_for
    from app.store import enrich_key

    embedder = build_embedder(settings)
    # The parent prepares the table for these same models, so this is the table's key too.
    key = enrich_key(embedder.vector_columns(), embedder.vocab_model)
    _worker.update(embedder=embedder, annotators=annotators_for(settings, Path(root)), key=key, cache={})


def exit_with_parent() -> None:
    """End this process when the one that started it is gone (killed: the window's Cancel, a crash).

    A spawned pool worker holds both ends of its task pipe, so it would otherwise wait for work forever;
    the window's indexing process (app.ui.index_process) would wait on its inbox forever.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="lexiscope-parent-watch", daemon=True).start()


def _describe() -> tuple:
    """The worker's models, as the parent needs them to prepare the table (columns, vocabulary, notes)."""
    e = _worker["embedder"]
    return e.vector_columns(), e.vocab_model, list(e.notes)


def _work(docs: list[dict], part: list[dict]) -> tuple[list[dict], list[dict], int, list[str]]:
    """Annotate and embed one slice; returns it with the number of passages the models encoded."""
    annotate_batch(_worker["annotators"], docs, part)
    encoded = embed_batch(_worker["embedder"], part, _worker["key"], _worker["cache"])
    strip_working_fields(part)
    if len(_worker["cache"]) > CACHE_ENTRIES:
        _worker["cache"].clear()
    notes = [n for a in _worker["annotators"] for n in getattr(a, "notes", [])]
    return docs, part, encoded, notes


class WorkerModels:
    """What the parent knows of the workers' models: the Embedder interface minus ``embed``."""

    def __init__(self, columns, vocab_model: str, notes: list[str]):
        self._columns = tuple(columns)
        self.vocab_model = vocab_model
        self.notes = notes

    def vector_columns(self):
        """The dense vector columns the workers fill."""
        return self._columns


class EnrichPool:
    """Worker processes for pass 2; ``map_ordered`` runs slices on them and yields results in order."""

    def __init__(self, settings: Settings, root: Path, workers: int):
        """Start ``workers`` processes; each loads the models ``settings`` choose (from the data root's cache)."""
        ctx = multiprocessing.get_context("spawn")
        self.workers = workers
        self.notes: list[str] = []
        self._pool = ctx.Pool(workers, initializer=_init, initargs=(settings, str(root)))

    def describe(self) -> WorkerModels:
        """The models as loaded by a worker (waits for its start-up)."""
        return WorkerModels(*self._pool.apply(_describe))

    def map_ordered(self, slices):
        """Yield ``(docs, passages, encoded)`` for each ``(docs, passages)`` of ``slices``, in their order.

        At most ``AHEAD_PER_WORKER`` slices per worker are out at once, so memory stays bounded and a stop
        (the caller stops iterating, then :meth:`close`) abandons little work.
        """
        pending: deque = deque()
        it = iter(slices)
        exhausted = False
        while True:
            while not exhausted and len(pending) < self.workers * AHEAD_PER_WORKER:
                try:
                    docs, part = next(it)
                except StopIteration:
                    exhausted = True
                    break
                pending.append(self._pool.apply_async(_work, (docs, part)))
            if not pending:
                return
            docs, part, encoded, notes = pending.popleft().get()
            self.notes = notes
            yield docs, part, encoded

    def close(self) -> None:
        """Stop the workers now (work in flight is dropped: nothing of it was written)."""
        self._pool.terminate()
        self._pool.join()


def pipeline_workers(settings: Settings, pending: int) -> int:
    """How many worker processes pass 2 should use: 0 (serial) on one core, on an accelerator, for little work,
    or inside a daemonic process."""
    from models.device import physical_cores, pick_device

    env = os.environ.get("LEXISCOPE_PASS2_WORKERS")
    if env and env.isdigit():
        return int(env) if int(env) > 1 else 0
    if pending < MIN_PASSAGES or pick_device(settings.device) != "cpu":
        return 0
    if multiprocessing.current_process().daemon:
        # A daemonic process may not start children (multiprocessing refuses): the window's indexing
        # process is one, so there pass 2 stays in the one process.
        return 0
    cores = physical_cores()
    return cores if cores >= 2 else 0


__all__ = ["EnrichPool", "MIN_PASSAGES", "WorkerModels", "exit_with_parent", "pipeline_workers"]
