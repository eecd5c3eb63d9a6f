"""Indexing from the window: one run at a time, a queue behind it, pause / resume / cancel.

The store has one writer, so runs (and folder removals, which write too) are queued and run one after
another on a pool thread through :class:`app.ui.workers.TaskRunner`. Pause and cancel both ask the
run to stop at its next commit (``should_stop`` is checked between batches, so everything written stays
searchable), and kill the indexing process if that is more than a second away
(:data:`app.ui.index_process.STOP_GRACE_S`; every write boundary is crash-safe); a pause also remembers the
paths, and resume simply indexes them again — indexing is incremental, so the finished part is skipped.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from app.config import Settings
from app.ui.index_process import IndexServer
from app.ui.progress_text import RateMeter
from app.ui.qt import QObject, Signal
from app.ui.state import UiState
from app.ui.workers import Task, TaskRunner

IDLE, RUNNING, STOPPING, PAUSED = "idle", "running", "stopping", "paused"


def count_files(paths: list[str], should_stop) -> int | None:
    """How many files the scan of ``paths`` finds (the indexer's own scan rules); None if stopped."""
    from app.ingest.scan import scan

    n = 0
    for _ in scan([Path(p) for p in paths]):
        n += 1
        if n % 500 == 0 and should_stop():
            return None
    return n


class IndexController(QObject):
    """Runs indexing and folder removal off the GUI thread, one job at a time."""

    stateChanged = Signal(str)
    progressText = Signal(str)
    progressValue = Signal(int, int)  # done, total (total 0: busy, no known end)
    finished = Signal(object)  # IndexReport
    removed = Signal(str, int)  # folder, documents removed
    failed = Signal(str)

    def __init__(self, runner: TaskRunner, settings: Settings, state: UiState, *, use_models: bool = True,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.runner = runner
        self.settings = settings
        self.ui_state = state
        # Tests and the benchmark pass False to skip slow model loading; the code path is the same.
        self.use_models = use_models
        self.jobs: list[tuple[str, list[str]]] = []
        self.current: Task | None = None
        self.current_paths: list[str] = []
        self.state = PAUSED if state.paused else IDLE
        self._stop_reason = ""
        self._meter = RateMeter()
        self.last_report = None
        # One indexing process for the window's life: models load once, not on every Resume.
        self.server = IndexServer()

    # --- commands from the window ------------------------------------------------------------------
    def add(self, paths: Sequence[str | Path]) -> None:
        """Index ``paths`` (folders or files), now or after the run in progress."""
        absolute = [os.path.abspath(p) for p in paths]
        if not absolute:
            return
        self.jobs.append(("index", absolute))
        self._next()

    def remove(self, folder: str) -> None:
        """Forget ``folder`` from the index (after the run in progress, since it writes)."""
        self.jobs.append(("forget", [folder]))
        self._next()

    def pause(self) -> None:
        """Stop at the next commit (or kill the run within a second) and remember what was running, for resume."""
        if self.current is not None and self.state == RUNNING:
            self._stop_reason = "pause"
            self.current.abort.set()
            self._set_state(STOPPING)

    def resume(self) -> None:
        """Index the paused paths again (incremental: finished files are skipped)."""
        paths, self.ui_state.paused = list(self.ui_state.paused), []
        self.ui_state.save()
        if self.state == PAUSED:
            self._set_state(IDLE)
        self.add(paths)

    def cancel(self) -> None:
        """Stop at the next commit (or kill the run within a second) and drop queued runs and any paused run."""
        self.jobs = [j for j in self.jobs if j[0] != "index"]
        if self.ui_state.paused:
            self.ui_state.paused = []
            self.ui_state.save()
        if self.current is not None and self.state in (RUNNING, STOPPING):
            # Also while a pause is stopping: the user changed their mind, the run ends as cancelled.
            self._stop_reason = "cancel"
            self.current.abort.set()
            self._set_state(STOPPING)
        elif self.state == PAUSED:
            self._set_state(IDLE)
            self.progressText.emit("Cancelled: the paused run will not be resumed; what was indexed is searchable")

    def busy(self) -> bool:
        """True while a job runs."""
        return self.current is not None

    def reset_models(self) -> None:
        """Models or settings changed: the next run starts a fresh indexing process (when none is running)."""
        if self.current is None:
            self.server.reset()

    def shutdown(self) -> None:
        """End the indexing process (on quit, after the run in progress has been asked to stop)."""
        self.server.close()

    # --- running -----------------------------------------------------------------------------------
    def _set_state(self, state: str) -> None:
        self.state = state
        self.stateChanged.emit(state)

    def _next(self) -> None:
        if self.current is not None or not self.jobs:
            return
        kind, paths = self.jobs.pop(0)
        if kind == "index":
            # Merge queued index jobs: one run over all of them costs one scan and one finish().
            while self.jobs and self.jobs[0][0] == "index":
                paths += [p for p in self.jobs.pop(0)[1] if p not in paths]
            self._start_index(paths)
        else:
            self._start_forget(paths[0])

    def _start_index(self, paths: list[str]) -> None:
        settings, use_models, server = self.settings, self.use_models, self.server

        def work(task: Task):
            # The run itself happens in the indexing process (see app.ui.index_process for why).
            return server.run(paths, settings, use_models=use_models, on_progress=task.report,
                              should_stop=task.should_stop)

        self.current_paths = paths
        self._stop_reason = ""
        self._meter = RateMeter()
        self._counted = False
        self.progressText.emit("Starting…" + (" (loading models)" if use_models else ""))
        self.progressValue.emit(0, 0)
        self.current = self.runner.start(work, name="index", done=self._index_done, failed=self._failed,
                                         progress=self._progress)
        # The indexing process needs seconds to start (a fresh Python, LanceDB, models); a walk of the
        # folders here takes milliseconds, so the user sees how many files there are at once.
        run = self.current
        self.runner.start(lambda task: count_files(paths, task.should_stop), name="count",
                          done=lambda n: self._quick_count(run, n))
        self._set_state(RUNNING)

    def _start_forget(self, folder: str) -> None:
        def work(task: Task):
            from app.session import open_store
            from app.sources import forget_folder

            return forget_folder(open_store(), folder)

        self.progressText.emit(f"Removing {folder} from the index…")
        self.progressValue.emit(0, 0)
        self.current = self.runner.start(work, name="forget", done=lambda n: self._forget_done(folder, n),
                                         failed=self._failed)
        self._set_state(RUNNING)

    def _quick_count(self, run, n: int | None) -> None:
        if run is self.current and not self._counted and n is not None and self.state == RUNNING:
            self.progressText.emit(f"{n:,} files found; starting the indexer…")

    def _progress(self, p) -> None:
        self._counted = self._counted or bool(p.done or p.total)
        self.progressText.emit(self._meter.describe(p))
        if p.phase in ("indexing", "meaning") and p.total:
            self.progressValue.emit(p.done, p.total)
        else:
            self.progressValue.emit(0, 0)

    def _index_done(self, report) -> None:
        self.current = None
        self.last_report = report
        if report.cancelled and self._stop_reason == "pause":
            queued = [p for kind, ps in self.jobs if kind == "index" for p in ps]
            self.jobs = [j for j in self.jobs if j[0] != "index"]
            self.ui_state.paused = self.current_paths + [p for p in queued if p not in self.current_paths]
            self.ui_state.save()
            self.progressText.emit(f"Paused after {report.indexed} files; resume to finish")
            self._set_state(PAUSED)
        elif report.cancelled:
            self.progressText.emit(f"Cancelled after {report.indexed} files; what was indexed is searchable")
            self._set_state(IDLE)
        else:
            self.progressText.emit(
                f"Done in {report.seconds:.1f} s: {report.indexed} indexed, {report.unchanged} unchanged, "
                f"{report.skipped} skipped, {report.failed} failed, {report.removed} removed"
            )
            self._set_state(IDLE)
        self.progressValue.emit(1, 1)
        self.finished.emit(report)
        self._next()

    def _forget_done(self, folder: str, n: int) -> None:
        self.current = None
        self.progressText.emit(f"Removed {n} files of {folder} from the index")
        self.progressValue.emit(1, 1)
        self._set_state(PAUSED if self.ui_state.paused else IDLE)
        self.removed.emit(folder, n)
        self._next()

    def _failed(self, error: tuple[str, str]) -> None:
        self.current = None
        self.progressText.emit(f"Indexing failed: {error[0]}")
        self.progressValue.emit(1, 1)
        self._set_state(IDLE)
        self.failed.emit(error[0])
        self._next()
