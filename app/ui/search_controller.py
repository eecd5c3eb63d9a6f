"""Searching from the window: one search at a time off the GUI thread, the latest request wins.

The searcher (and any models it loads) is built on the first search, on a worker, and reused; an
indexing run invalidates it so the next search opens the store afresh and sees the new files.
"""

from __future__ import annotations

from app.config import Settings
from app.ui.qt import QImage, QObject, Qt, Signal
from app.ui.search_logic import SearchRequest, refresh, run_search
from app.ui.workers import Task, TaskRunner

THUMB_PX = 72


def load_thumb(path: str, px: int = THUMB_PX) -> QImage | None:
    """A thumbnail scaled for the result list (QImage is safe to build off the GUI thread)."""
    image = QImage(path)
    if image.isNull():
        return None
    return image.scaled(px, px, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)


class SearchController(QObject):
    """Runs searches on the pool and hands back responses with their thumbnails."""

    results = Signal(object, object, object)  # SearchRequest, SearchResponse, {path: QImage}
    failed = Signal(str)
    busy = Signal(str)  # what is happening, "" when idle

    def __init__(self, runner: TaskRunner, settings: Settings, parent: QObject | None = None, *,
                 use_models: bool = True):
        super().__init__(parent)
        self.runner = runner
        self.settings = settings
        # False: words-only searcher (tests, benchmarks); the worker path is the same.
        self.use_models = use_models
        self._searcher = None
        self._generation = 0  # bumped by invalidate(): a searcher built before it is not kept
        self._running = False
        self._pending: SearchRequest | None = None

    def search(self, req: SearchRequest) -> None:
        """Search now, or as soon as the running search ends (only the latest waiting request runs)."""
        if self._running:
            self._pending = req
            return
        self._start(req)

    def invalidate(self) -> None:
        """Forget the searcher so the next search reopens the index (after indexing)."""
        self._searcher = None
        self._generation += 1

    def _start(self, req: SearchRequest) -> None:
        searcher, settings, generation, use_models = self._searcher, self.settings, self._generation, self.use_models

        def work(task: Task):
            nonlocal searcher
            if searcher is None:
                task.report("Loading the index and search models…")
                from app.search.engine import Searcher
                from app.session import make_searcher, open_store

                store = open_store()
                searcher = make_searcher(store, settings) if use_models else Searcher(store)
            else:
                refresh(searcher.store)
            response = run_search(searcher, req)
            thumbs = {}
            for r in response.results:
                if r.thumb and r.path not in thumbs:
                    image = load_thumb(r.thumb)
                    if image is not None:
                        thumbs[r.path] = image
            return searcher, generation, response, thumbs

        self._running = True
        self.busy.emit(f"Searching for {req.label()}…")
        self.runner.start(work, name="search", done=lambda out: self._done(req, out), failed=self._failed,
                          progress=self.busy.emit)

    def _done(self, req: SearchRequest, out) -> None:
        searcher, generation, response, thumbs = out
        if generation == self._generation:
            self._searcher = searcher
        self._finish()
        self.results.emit(req, response, thumbs)

    def _failed(self, error: tuple[str, str]) -> None:
        self._finish()
        self.failed.emit(error[0])

    def _finish(self) -> None:
        self._running = False
        self.busy.emit("")
        if self._pending is not None:
            req, self._pending = self._pending, None
            self._start(req)
