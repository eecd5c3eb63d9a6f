"""Run an indexing run in a child process, reporting back to a thread of the window's process.

Why a process and not just a thread: indexing calls into C code that holds the GIL for long stretches
(the first import of LanceDB, spaCy or torch loads big shared libraries; some native calls do not release
the GIL). On a pool thread those froze the window for up to ~0.6 s (bench/gui_responsiveness.py); in a
child process the window's GIL is never taken. The calling thread only waits on a queue, which releases
the GIL. No Qt here: the child must not load it.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import multiprocessing.util  # noqa: F401 - its exit handler is registered before ours (see _end_at_exit)
import os
import queue
import time
import traceback
from collections.abc import Callable

# Spawn (not fork): forking a process that runs Qt and LanceDB threads can deadlock the child.
_CTX = mp.get_context("spawn")
POLL_S = 0.1
# Below the window (0) and the search process (app.ui.search_process.NICE): on a 2-core laptop the
# model's threads would otherwise take the CPU from the GUI thread (measured: 50–80 ms stalls).
NICE = 10
# How long a stop request waits for the indexer to reach its next commit before the process is killed.
# The indexer commits every few seconds of work at best (a 32-file batch, a pass-2 batch of passages with
# the models: 5-15 s on a laptop CPU), far over the 2 s a Pause or Cancel button may take. Killing is safe:
# every write boundary is crash-safe (app.faults, tests/integration/test_crash_safety*), the lock is an OS
# file lock released with the process, and the next run sweeps the half-written batch and redoes it.
STOP_GRACE_S = 1.0


def _lower_priority(step: int) -> None:
    """Run this process at a lower CPU priority, where the OS allows it (POSIX nice)."""
    try:
        os.nice(step)
    except (AttributeError, OSError):
        pass  # Windows has no os.nice; the work still runs, only at normal priority


class IndexProcessError(RuntimeError):
    """The child failed (its error message is the text) or died without a report."""


def _report_after_kill(last, seconds: float):
    """The report of a run stopped by killing its process: cancelled, with the counts it had reported."""
    from app.pipeline import IndexReport

    report = IndexReport(cancelled=True, seconds=seconds)
    if last is not None and last.unit == "files":
        report.indexed, report.skipped, report.failed = last.indexed, last.skipped, last.failed
    report.notes.append("stopped between commits: the next run redoes the unfinished batch")
    return report


def _kill(proc) -> None:
    """End ``proc`` now (SIGKILL on POSIX, TerminateProcess on Windows) and reap it."""
    proc.kill()
    proc.join(timeout=5)


def _serve(inbox, out, stop) -> None:
    """Entry point of the long-lived indexing process: one run per message, models kept between runs."""
    from app.enrich_pool import exit_with_parent

    _lower_priority(NICE)
    exit_with_parent()  # a window that was killed leaves no indexer behind
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


_LIVE: set = set()


def _end_at_exit() -> None:
    """At interpreter exit, end indexing processes still running (a window that quit without close()).

    Registered after multiprocessing's own exit handler, so it runs first (atexit is last in, first out):
    that handler would otherwise wait for a non-daemonic child that waits for work forever.
    """
    for proc in list(_LIVE):
        if proc.is_alive():
            proc.terminate()
            proc.join(timeout=5)
            if proc.is_alive():
                _kill(proc)
    _LIVE.clear()


atexit.register(_end_at_exit)


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
        # Not a daemon: pass 2 starts worker processes of its own (app.enrich_pool), which a daemonic
        # process may not. What daemon=True gave (no indexer outliving the window) comes from
        # exit_with_parent in the child and _end_at_exit here.
        self.proc = _CTX.Process(target=_serve, args=(self._inbox, self._out, self._stop),
                                 name="lexiscope-indexer", daemon=False)
        self.proc.start()
        _LIVE.add(self.proc)

    def run(self, paths: list[str], settings, *, use_models: bool = True,
            on_progress: Callable[[object], None] | None = None,
            should_stop: Callable[[], bool] = lambda: False):
        """Index ``paths`` in the indexing process; returns its IndexReport, raises IndexProcessError."""
        self._ensure()
        self._stop.clear()
        self._inbox.put(("index", list(paths), settings, use_models))
        t0, stop_at, last = time.monotonic(), None, None
        while True:
            if stop_at is None and should_stop():
                self._stop.set()
                stop_at = time.monotonic()
            try:
                message = self._out.get(timeout=POLL_S)
            except queue.Empty:
                if stop_at is not None and time.monotonic() - stop_at > STOP_GRACE_S:
                    # The next run starts a fresh process (and loads the models again): the price of a
                    # stop that acts now rather than after the batch in hand.
                    proc, self.proc = self.proc, None
                    _kill(proc)
                    return _report_after_kill(last, time.monotonic() - t0)
                if not self.proc.is_alive():
                    code = self.proc.exitcode
                    self.proc = None
                    raise IndexProcessError(f"the indexer stopped unexpectedly (exit code {code})") from None
                continue
            if message[0] == "progress":
                last = message[1]
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
