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


def _serve(inbox, out, stop) -> None:
    """Entry point of the long-lived indexing process: one run per message, models kept between runs."""
    _lower_priority(NICE)
    while True:
        message = inbox.get()
        if message[0] == "quit":
            return
        _, paths, settings, use_models = message
        try:
            from app.index_run import index_paths

            report = index_paths(paths, settings, on_progress=lambda p: out.put(("progress", p)),
                                 should_stop=stop.is_set, use_models=use_models)
            out.put(("done", report))
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the window as a message
            out.put(("failed", f"{type(exc).__name__}: {exc}", traceback.format_exc()))


class IndexServer:
    """One indexing process that stays up between runs, so Resume (or the next drop) does not load the
    models again: they stay cached in that process (app.embed's per-process cache). Runs are serial (the
    store has one writer). :meth:`reset` ends the process after a model or settings change;
    :meth:`close` on quit.
    """

    def __init__(self):
        self.proc = None
        self._inbox = self._out = self._stop = None

    def _ensure(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            return
        self._inbox, self._out, self._stop = _CTX.Queue(), _CTX.Queue(), _CTX.Event()
        self.proc = _CTX.Process(target=_serve, args=(self._inbox, self._out, self._stop),
                                 name="lexiscope-indexer", daemon=True)
        self.proc.start()

    def run(self, paths: list[str], settings, *, use_models: bool = True,
            on_progress: Callable[[object], None] | None = None,
            should_stop: Callable[[], bool] = lambda: False):
        """Index ``paths`` in the indexing process; returns its IndexReport, raises IndexProcessError."""
        self._ensure()
        self._stop.clear()
        self._inbox.put(("index", list(paths), settings, use_models))
        while True:
            if should_stop() and not self._stop.is_set():
                self._stop.set()
            try:
                message = self._out.get(timeout=POLL_S)
            except queue.Empty:
                if not self.proc.is_alive():
                    code = self.proc.exitcode
                    self.proc = None
                    raise IndexProcessError(f"the indexer stopped unexpectedly (exit code {code})") from None
                continue
            if message[0] == "progress":
                if on_progress:
                    on_progress(message[1])
            elif message[0] == "done":
                return message[1]
            else:
                raise IndexProcessError(message[1])

    def reset(self) -> None:
        """End the process (when idle) so the next run starts afresh, e.g. with newly installed models."""
        self.close()

    def close(self) -> None:
        """Ask the process to quit (after its current run stops) and wait for it briefly."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if self._stop is not None:
            self._stop.set()
        try:
            self._inbox.put(("quit",))
        except (OSError, ValueError):
            pass
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
            proc.join(timeout=5)
