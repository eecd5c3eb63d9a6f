"""Watch indexed folders for changes and ask for an incremental re-index, debounced.

QFileSystemWatcher watches single directories, so every subfolder is added (listed on a worker, capped:
a huge tree would exhaust the system's watch limit). Bursts of changes (a copy of many files) are folded
into one re-index a few seconds after the last change.
"""

from __future__ import annotations

import os

from app.ui.qt import QFileSystemWatcher, QObject, QTimer, Signal
from app.ui.workers import TaskRunner

DEBOUNCE_MS = 3000
MAX_DIRS = 2000  # Linux's default inotify limit is 8192 per user; leave room for other programs


def list_dirs(roots: list[str], limit: int = MAX_DIRS) -> list[str]:
    """Folders under ``roots`` (hidden ones skipped, like the scanner), at most ``limit``."""
    out: list[str] = []
    for root in roots:
        if not os.path.isdir(root):
            continue
        for folder, dirs, _files in os.walk(root):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            out.append(folder)
            if len(out) >= limit:
                return out
    return out


class FolderWatcher(QObject):
    """Emits :attr:`changed` with the roots to re-index, after changes settle."""

    changed = Signal(list)

    def __init__(self, runner: TaskRunner, parent: QObject | None = None):
        super().__init__(parent)
        self.runner = runner
        self.roots: list[str] = []
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._touched)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self._fire)
        self._dirty: set[str] = set()

    def watch(self, roots: list[str]) -> None:
        """Watch ``roots`` (replacing what was watched); an empty list stops watching."""
        self.stop()
        self.roots = list(roots)
        if roots:
            self.runner.start(lambda task: list_dirs(roots), name="watch-list", done=self._add)

    def stop(self) -> None:
        """Stop watching."""
        self.timer.stop()
        dirs = self.watcher.directories()
        if dirs:
            self.watcher.removePaths(dirs)
        self.roots = []

    def _add(self, dirs: list[str]) -> None:
        if self.roots and dirs:
            self.watcher.addPaths(dirs)

    def _touched(self, path: str) -> None:
        for root in self.roots:
            if path == root or path.startswith(root + os.sep):
                self._dirty.add(root)
        self.timer.start()

    def _fire(self) -> None:
        dirty, self._dirty = sorted(self._dirty), set()
        if dirty:
            self.changed.emit(dirty)
