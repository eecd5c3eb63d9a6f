"""One way to run background work: a task on a thread pool, with signals back to the GUI thread.

Shaped after superqt's ``GeneratorWorker`` and Anki's ``QueryOp``: the function runs on a pool thread and
never touches a widget; it reports progress through ``task.report`` and checks ``task.should_stop()``
between steps. Results, failures and progress arrive as signals, which Qt queues onto the GUI thread
because the signal object lives there. On quit, :meth:`TaskRunner.stop_all` sets every abort flag and
waits for the pool to drain.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from app.ui.qt import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Signals(QObject):
    progress = Signal(object)
    done = Signal(object)
    failed = Signal(object)  # (message, traceback text)
    finished = Signal()  # after done or failed, always


class _Relay(QObject):
    """Lives on the GUI thread; its slots call the Python callbacks there.

    Connecting a worker's signal straight to a lambda could run the lambda on the emitting thread;
    connecting to a slot of a QObject that lives on the GUI thread makes Qt queue the call.
    """

    def __init__(self, parent, done, failed, progress, finished):
        super().__init__(parent)
        self._done, self._failed, self._progress, self._finished = done, failed, progress, finished

    @Slot(object)
    def on_done(self, value):
        """The task's result, on the GUI thread."""
        if self._done:
            self._done(value)

    @Slot(object)
    def on_failed(self, value):
        """The task's (message, traceback), on the GUI thread."""
        if self._failed:
            self._failed(value)

    @Slot(object)
    def on_progress(self, value):
        """A progress value, on the GUI thread."""
        if self._progress:
            self._progress(value)

    @Slot()
    def on_finished(self):
        """The task ended either way: forget it and this relay."""
        self._finished()
        self.deleteLater()


class Task(QRunnable):
    """A function run on a pool thread; it receives this task to report progress and check for abort."""

    def __init__(self, fn: Callable[["Task"], object], name: str = "task"):
        super().__init__()
        # The runner keeps the Python object alive; Qt must not delete it under us.
        self.setAutoDelete(False)
        self.fn = fn
        self.name = name
        self.abort = threading.Event()
        self.signals = _Signals()

    def report(self, value: object) -> None:
        """Send a progress value to the GUI thread."""
        self.signals.progress.emit(value)

    def should_stop(self) -> bool:
        """True once a stop was requested (cancel, pause or quit)."""
        return self.abort.is_set()

    def run(self) -> None:  # noqa: D401 - Qt's name
        """Run the function (on a pool thread); never lets an exception escape into Qt."""
        try:
            result = self.fn(self)
        except BaseException as exc:  # a failure is reported, never fatal to the app
            # A task stopped on request (a newer search superseded it) ends by raising: not worth a warning.
            (log.debug if self.should_stop() else log.warning)("%s failed: %s", self.name, f"{type(exc).__name__}: {exc}")
            self.signals.failed.emit((f"{type(exc).__name__}: {exc}", traceback.format_exc()))
        else:
            self.signals.done.emit(result)
        finally:
            self.signals.finished.emit()


class TaskRunner(QObject):
    """Starts tasks on its own pool and stops them all on quit."""

    def __init__(self, parent: QObject | None = None, max_threads: int = 4):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._active: set[Task] = set()
        self._stopped = False

    def start(
        self,
        fn: Callable[[Task], object],
        *,
        name: str = "task",
        done: Callable[[Any], None] | None = None,
        failed: Callable[[tuple[str, str]], None] | None = None,
        progress: Callable[[Any], None] | None = None,
    ) -> Task:
        """Run ``fn(task)`` in the background; callbacks run on the GUI thread.

        After :meth:`stop_all` (quit) nothing more runs: a callback of a task that ended during the stop
        (delivered afterwards) may ask for more work, and a task started then would outlive the window
        (it could start the search process again, and emit through signals Qt has already deleted).
        """
        task = Task(fn, name)
        if self._stopped:
            task.abort.set()
            return task
        relay = _Relay(self, done, failed, progress, lambda: self._active.discard(task))
        task.signals.done.connect(relay.on_done)
        task.signals.failed.connect(relay.on_failed)
        task.signals.progress.connect(relay.on_progress)
        task.signals.finished.connect(relay.on_finished)
        self._active.add(task)
        self.pool.start(task)
        return task

    def active(self) -> int:
        """How many tasks have not finished yet."""
        return len(self._active)

    def stop_all(self, timeout_ms: int = 60_000) -> bool:
        """Ask every task to stop, then wait for the pool; True if all finished in time. Ends the runner."""
        self._stopped = True
        for task in list(self._active):
            task.abort.set()
        return self.pool.waitForDone(timeout_ms)
