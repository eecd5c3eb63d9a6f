"""Searching from the window: one search at a time off the GUI thread, the latest request wins.

The searcher (and its models) lives in a child process (:mod:`app.ui.search_process`); a pool thread
sends the request and waits, then loads the thumbnails. An indexing run resets the child's searcher so
the next search sees the new files. The same process computes, on request, the dense alignment spans of
a selected hit that the search left out (only the top hit gets them, see app.explain.DENSE_ALIGN_TOP).
"""

from __future__ import annotations

from app.config import Settings
from app.ui.qt import QImage, QObject, Qt, Signal
from app.search_service import SearchRequest, needs_dense_spans
from app.ui.search_process import SearchServer, Stopped
from app.ui.workers import Task, TaskRunner

THUMB_PX = 72


def load_thumb(path: str, px: int = THUMB_PX) -> QImage | None:
    """A thumbnail scaled for the result list (QImage is safe to build off the GUI thread)."""
    image = QImage(path)
    if image.isNull():
        return None
    return image.scaled(px, px, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)


class SearchController(QObject):
    """Runs searches through the search process and hands back responses with their thumbnails."""

    results = Signal(object, object, object)  # SearchRequest, SearchResponse, {path: QImage}
    failed = Signal(str)
    busy = Signal(str)  # what is happening, "" when idle
    denseSpans = Signal(object, object)  # Result, [span]: only for the result last asked for
    denseFailed = Signal(str)

    def __init__(self, runner: TaskRunner, settings: Settings, parent: QObject | None = None, *,
                 use_models: bool = True):
        super().__init__(parent)
        self.runner = runner
        # use_models=False: a words-only searcher (tests, benchmarks); the process and worker path are the same.
        self.server = SearchServer(settings, use_models)
        self._running = False
        self._pending: SearchRequest | None = None
        self._shown: SearchRequest | None = None  # the request whose results the window shows
        # Dense spans: one request at a time (each holds the search process), the latest selection wins.
        self._dense_wanted = None  # the result whose spans the window waits for
        self._dense_running = None
        self._dense_pending = None

    def warm(self) -> None:
        """Start the search process and load its models now, so the first search is quick."""
        def work(task: Task):
            try:
                self.server.warm(task.report, task.should_stop)
            except Stopped:
                pass

        self.runner.start(work, name="warm", progress=self.busy.emit, done=lambda _: self._idle(),
                          failed=lambda err: self._idle())

    def search(self, req: SearchRequest) -> None:
        """Search now, or as soon as the running search ends (only the latest waiting request runs)."""
        if self._running:
            self._pending = req
            return
        self._start(req)

    def fetch_dense(self, result) -> None:
        """Ask for ``result``'s dense spans if its explanation lacks them; None (or an image) cancels.

        The answer arrives as :attr:`denseSpans` only while ``result`` is still the one last asked for:
        a later call (another selection) or a new search's results make it stale, and it is dropped.
        """
        wanted = result if needs_dense_spans(result) and self._shown is not None else None
        self._dense_wanted = wanted
        self._dense_pending = None
        if wanted is None or wanted is self._dense_running:  # nothing to do, or its answer is on its way
            return
        if self._dense_running is not None:
            self._dense_pending = wanted
            return
        self._start_dense(wanted)

    def counts(self, sources: list[str], on_summary, on_facets, on_failed=None) -> None:
        """The Sources dock's per-folder summary and the facet counts, read by the search process.

        There, not on a pool thread here: opening the index imports LanceDB (hundreds of modules) and the
        counts run Python over every row; in the window's process both held its GIL and froze the window
        while it opened a big index (bench/gui_responsiveness.py --home).
        """
        server = self.server
        self.runner.start(lambda task: server.summary(sources, task.should_stop), name="sources", done=on_summary,
                          failed=on_failed)
        self.runner.start(lambda task: server.facets(task.should_stop), name="facets", done=on_facets)

    def fetch_models(self, settings: Settings, done) -> None:
        """The model status list (app.embed.model_status), read by the search process; ``done(list)``."""
        server = self.server
        self.runner.start(lambda task: server.models(settings, task.should_stop), name="models", done=done)

    def fetch_document(self, result, done) -> None:
        """Read ``result``'s whole document text in the search process; ``done((text, passage_start))``.

        If that fails, ``done`` gets the hit's passage alone (a quick look never fails).
        """
        server = self.server
        self.runner.start(lambda task: server.document(result, task.should_stop), name="document", done=done,
                          failed=lambda error: done((result.passage_text or result.snippet or "", 0)))

    def dense_in_flight(self) -> bool:
        """True while a dense-spans request is running or waiting."""
        return self._dense_running is not None or self._dense_pending is not None

    def invalidate(self, settings: Settings | None = None) -> None:
        """Make the next search reopen the index (after indexing) or use new settings."""
        self.server.reset(settings)

    def shutdown(self) -> None:
        """Stop the search process (on quit)."""
        self.server.close()

    def _start(self, req: SearchRequest) -> None:
        server = self.server

        def work(task: Task):
            response = server.search(req, task.report, task.should_stop)
            thumbs = {}
            for r in response.results:
                if r.thumb and r.path not in thumbs:
                    image = load_thumb(r.thumb)
                    if image is not None:
                        thumbs[r.path] = image
            return response, thumbs

        self._running = True
        self.busy.emit(f"Searching for {req.label()}…")
        self.runner.start(work, name="search", done=lambda out: self._done(req, out), failed=self._failed,
                          progress=self.busy.emit)

    def _start_dense(self, result) -> None:
        server, req = self.server, self._shown
        self._dense_running = result
        self.runner.start(lambda task: server.dense_spans(req, result, task.should_stop), name="dense spans",
                          done=lambda spans: self._dense_done(result, spans, None),
                          failed=lambda error: self._dense_done(result, None, error[0]))

    def _dense_done(self, result, spans, error: str | None) -> None:
        self._dense_running = None
        if result is self._dense_wanted:
            self._dense_wanted = None
            if error is None:
                self.denseSpans.emit(result, spans)
            elif not error.startswith("Stopped"):
                self.denseFailed.emit(error)
        if self._dense_pending is not None:
            nxt, self._dense_pending = self._dense_pending, None
            self._start_dense(nxt)

    def _idle(self) -> None:
        if not self._running:
            self.busy.emit("")

    def _done(self, req: SearchRequest, out) -> None:
        response, thumbs = out
        # New results: an answer still coming for the old list is stale.
        self._shown, self._dense_wanted, self._dense_pending = req, None, None
        self._finish()
        self.results.emit(req, response, thumbs)

    def _failed(self, error: tuple[str, str]) -> None:
        self._finish()
        if not error[0].startswith("Stopped"):
            self.failed.emit(error[0])

    def _finish(self) -> None:
        self._running = False
        self.busy.emit("")
        if self._pending is not None:
            req, self._pending = self._pending, None
            self._start(req)
