"""Run an indexing run in a child process, reporting back to a thread of the window's process.

Why a process and not just a thread: indexing calls into C code that holds the GIL for long stretches
(the first import of LanceDB, spaCy or torch loads big shared libraries; some native calls do not release
the GIL). On a pool thread those froze the window for up to ~0.6 s (bench/gui_responsiveness.py); in a
child process the window's GIL is never taken. The calling thread only waits on a queue, which releases
the GIL. No Qt here: the child must not load it.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import traceback
from collections.abc import Callable

# Spawn (not fork): forking a process that runs Qt and LanceDB threads can deadlock the child.
_CTX = mp.get_context("spawn")
POLL_S = 0.1
# Below the window (0) and the search process (app.ui.search_process.NICE): on a 2-core laptop the
# model's threads would otherwise take the CPU from the GUI thread (measured: 50–80 ms stalls).
NICE = 10


def _lower_priority(step: int) -> None:
    """Run this process at a lower CPU priority, where the OS allows it (POSIX nice)."""
    try:
        os.nice(step)
    except (AttributeError, OSError):
        pass  # Windows has no os.nice; the work still runs, only at normal priority


class IndexProcessError(RuntimeError):
    """The child failed (its error message is the text) or died without a report."""


def _child(paths, settings, use_models, out, stop) -> None:
    """Entry point of the child process: index and send progress, then the report or the error."""
    _lower_priority(NICE)
    try:
        from app.index_run import index_paths

        report = index_paths(paths, settings, on_progress=lambda p: out.put(("progress", p)),
                             should_stop=stop.is_set, use_models=use_models)
        out.put(("done", report))
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the window as a message
        out.put(("failed", f"{type(exc).__name__}: {exc}", traceback.format_exc()))


def run_in_child(paths: list[str], settings, *, use_models: bool = True,
                 on_progress: Callable[[object], None] | None = None,
                 should_stop: Callable[[], bool] = lambda: False):
    """Index ``paths`` in a child process; returns its IndexReport, raises IndexProcessError on failure.

    ``should_stop`` is polled here and passed on as an event, so the child stops after its current batch.
    """
    out = _CTX.Queue()
    stop = _CTX.Event()
    proc = _CTX.Process(target=_child, args=(list(paths), settings, use_models, out, stop),
                        name="lexiscope-indexer", daemon=True)
    proc.start()
    try:
        while True:
            if should_stop() and not stop.is_set():
                stop.set()
            try:
                message = out.get(timeout=POLL_S)
            except queue.Empty:
                if not proc.is_alive():
                    raise IndexProcessError(f"the indexer stopped unexpectedly (exit code {proc.exitcode})") from None
                continue
            if message[0] == "progress":
                if on_progress:
                    on_progress(message[1])
            elif message[0] == "done":
                return message[1]
            else:
                raise IndexProcessError(message[1])
    finally:
        stop.set()
        proc.join(timeout=60)
        if proc.is_alive():  # should not happen: the child exits right after its last message
            proc.terminate()
            proc.join(timeout=5)
        out.close()
        out.join_thread()
