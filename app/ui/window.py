"""The main window: wires the search bar, results, detail pane and Sources dock to the controllers.

Everything slow (indexing, searching, model status, counts, image decoding, exports) runs through one
:class:`TaskRunner`; this module only arranges widgets and routes signals.
"""

from __future__ import annotations

import gc
import os
import re

from app.config import Settings
from app.ui.banner import ModelBanner
from app.ui import detail_pane, results_delegate
from app.ui.detail_pane import DetailPane, open_or_explain
from app.ui.facets_dock import FacetsDock
from app.ui.index_controller import IndexController
from app.ui.qt import (
    QByteArray,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from app.ui.results_area import ResultsArea
from app.ui.results_model import RESULT_ROLE, ResultsModel, ResultsProxy
from app.ui.search_bar import SearchBar, local_paths
from app.ui.search_controller import SearchController
from app.ui.sources_dock import SourcesDock
from app.ui.state import UiState
from app.ui.style import app_icon
from app.ui.watcher import FolderWatcher
from app.ui.menus import ShortcutsDialog, build_menus
from app.ui.window_actions import WindowActions
from app.ui.window_search import WindowSearch
from app.ui.workers import TaskRunner


# After the first paint (a timer fires once the posted paint events of show() have been handled).
START_AFTER_MS = 30


def warm_up() -> None:
    """What the first shown result would otherwise load on the GUI thread (runs on a worker at start-up)."""
    detail_pane.warm_up()
    results_delegate.warm_up()


class MainWindow(WindowActions, WindowSearch, QMainWindow):
    """Lexiscope's window. ``use_models=False`` indexes and searches by words only (tests, benchmarks)."""

    def __init__(self, settings: Settings | None = None, *, use_models: bool = True):
        super().__init__()
        self.setWindowTitle("Lexiscope")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.settings = settings or Settings.load()
        self.ui_state = UiState.load()
        self.models: list[dict] = []
        self.summary: dict | None = None
        self.last_request = None
        self.last_response = None
        self.closing = False
        # After a search answers, the detail pane fills in a later turn of the event loop than the list:
        # each half (the list's rows; the passage, metadata and explanation) is one short stretch of GUI-thread
        # work, where both together made the longest freeze on a big index (bench/gui_responsiveness.py --home).
        self._detail_timer = QTimer(self)
        self._detail_timer.setSingleShot(True)
        self._detail_timer.setInterval(1)  # a timer, not a posted call: the list paints first
        self._detail_timer.timeout.connect(lambda: self._show_detail(self.results.view.currentIndex()))
        self._detail_later = False

        # Most tasks wait (on the indexing or search process, on disk); 8 threads keep a quick one (the
        # file count after a drop, counts, thumbnails) from queueing behind them.
        self.runner = TaskRunner(self, max_threads=8)
        self.indexer = IndexController(self.runner, self.settings, self.ui_state, use_models=use_models, parent=self)
        self.searcher = SearchController(self.runner, self.settings, self, use_models=use_models)
        self.watcher = FolderWatcher(self.runner, self)

        self.search_bar = SearchBar(self)
        self.banner = ModelBanner(self)
        self.results = ResultsArea(self)
        self.model = ResultsModel(self)
        self.proxy = ResultsProxy(self)
        self.proxy.setSourceModel(self.model)
        self.results.view.setModel(self.proxy)
        self.detail = DetailPane(self.runner, self)
        self.sources = SourcesDock(self)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.sources)
        self.facets = FacetsDock(self)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.facets)
        # One column of docks: at 1280 px the detail pane needs the width more than a second column.
        self.tabifyDockWidget(self.sources, self.facets)
        self.sources.raise_()

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.results)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.search_bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.busy_label = QLabel()
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # a moving bar: model loading has no known length
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.setMaximumHeight(12)
        self.statusBar().addPermanentWidget(self.busy_label)
        self.statusBar().addPermanentWidget(self.busy_bar)
        self._set_busy("")

        self._menus()
        self.setup_search_extras()
        self._wire()
        self._restore()
        self.results.show_message("Opening the index…")
        self._warmed = False  # the search models load once the first counts are in (_sources_loaded)
        # The search process starts once the window has painted: spawning it (from a pool thread of this
        # process) and its first imports competed with the first paint for the CPU and the GIL.
        self._start_timer = QTimer(self)
        self._start_timer.setSingleShot(True)
        self._start_timer.setInterval(START_AFTER_MS)
        self._start_timer.timeout.connect(self._start_background)
        self._start_timer.start()
        if self.ui_state.paused:
            self.sources.status.setText("A run was paused. Resume to finish indexing.")
        self.sources.set_state(self.indexer.state)
        self.sources.watch.setChecked(self.settings.watch)

    # --- construction ---------------------------------------------------------------------------
    def _start_background(self) -> None:
        """Counts, facets and model states from the search process (which this starts)."""
        self.refresh_sources()
        self.searcher.fetch_models(self.settings, self._models_loaded)

    def _menus(self) -> None:
        self.actions_by_name = build_menus(self)
        view_menu = self.menu_by_name["&View"]
        view_menu.insertAction(view_menu.actions()[0], self.sources.toggleViewAction())
        view_menu.insertAction(view_menu.actions()[1], self.facets.toggleViewAction())

    def focus_search(self) -> None:
        """Put the cursor in the search field."""
        self.search_bar.field.setFocus()
        self.search_bar.field.selectAll()

    def next_match(self) -> None:
        """Scroll the passage to its next highlighted match."""
        self.detail.next_match()

    def previous_match(self) -> None:
        """Scroll the passage to its previous highlighted match."""
        self.detail.previous_match()

    def show_shortcuts(self) -> None:
        """The list of keyboard shortcuts."""
        ShortcutsDialog(self).exec()

    def _wire(self) -> None:
        bar, idx, srch = self.search_bar, self.indexer, self.searcher
        bar.searchRequested.connect(self.run_search)
        bar.sortChanged.connect(self.set_sort)
        bar.pathsDropped.connect(self.add_paths)
        bar.invalid.connect(lambda msg: self.statusBar().showMessage(msg, 8000))
        srch.results.connect(self._show_response)
        srch.failed.connect(lambda msg: self.results.show_message("The search failed.", msg))
        srch.busy.connect(self._set_busy)
        srch.denseSpans.connect(self.detail.add_dense_spans)
        # Quiet: the explanation without the meaning alignment is still useful; no dialog for it.
        srch.denseFailed.connect(lambda msg: self.statusBar().showMessage(f"Could not align by meaning: {msg}", 8000))
        idx.progressText.connect(self.sources.status.setText)
        idx.progressText.connect(lambda text: self.statusBar().showMessage(text, 5000))
        idx.progressValue.connect(self.sources.set_progress)
        idx.stateChanged.connect(self.sources.set_state)
        idx.finished.connect(self._index_finished)
        idx.removed.connect(lambda folder, n: self._index_finished(None))
        idx.failed.connect(lambda msg: self.statusBar().showMessage(f"Indexing failed: {msg}"))
        self.sources.addRequested.connect(self.choose_folder)
        self.sources.removeRequested.connect(self.remove_folder)
        self.sources.pauseRequested.connect(idx.pause)
        self.sources.resumeRequested.connect(idx.resume)
        self.sources.cancelRequested.connect(idx.cancel)
        self.sources.watchToggled.connect(self.set_watch)
        self.facets.facetChosen.connect(self.set_facet)
        self.facets.datesChosen.connect(self.search_bar.set_dates)
        self.watcher.changed.connect(idx.add)
        self.results.welcome.addFolder.connect(self.choose_folder)
        self.results.welcome.trySample.connect(self.try_sample)
        self.results.welcome.getImageModel.connect(lambda: self.get_model("download"))
        self.results.welcome.importModel.connect(lambda: self.get_model("import"))
        view = self.results.view
        view.selectionModel().currentChanged.connect(self._current_changed)
        view.openRequested.connect(lambda index: self._open(index.data(RESULT_ROLE)))
        view.previewRequested.connect(lambda index: self.preview(index.data(RESULT_ROLE)))
        self.detail.moreLikeThis.connect(self.more_like_this)
        self.banner.fixed.connect(self._models_fixed)

    def _restore(self) -> None:
        s = self.ui_state
        if not (s.geometry and self.restoreGeometry(QByteArray.fromBase64(s.geometry.encode()))):
            self.resize(1280, 800)
        if s.window_state:
            self.restoreState(QByteArray.fromBase64(s.window_state.encode()))
        if s.splitter:
            self.splitter.restoreState(QByteArray.fromBase64(s.splitter.encode()))
        else:
            self.splitter.setSizes([560, 440])
        index = self.search_bar.sort.findData(s.sort)
        self.search_bar.sort.setCurrentIndex(max(index, 0))
        self.proxy.set_mode(s.sort)

    # --- drops ------------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Files and folders may be dropped anywhere on the window."""
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Keep accepting while files hover."""
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Dropped folders and files are added to the index."""
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    # --- indexing ---------------------------------------------------------------------------------
    def add_paths(self, paths: list[str]) -> None:
        """Add folders (or files) as sources and index them."""
        paths = [os.path.abspath(p) for p in paths if os.path.exists(p)]
        if not paths:
            return
        self.banner.arm()
        for p in paths:
            if p not in self.settings.sources:
                self.settings.sources.append(p)
        self.settings.save()
        self.indexer.add(paths)
        if self.results.is_welcome():
            self.results.show_message("Indexing…", "You can search as soon as the first files are in.")
        self.sources.set_summary(self.settings.sources, self.summary)

    def confirm_remove(self, folder: str) -> bool:
        """Ask before removing a folder's files from the index (the files on disk are not touched)."""
        counts = ((self.summary or {}).get("roots") or {}).get(folder, {})
        n = counts.get("indexed", 0)
        answer = QMessageBox.question(
            self, "Remove this folder?",
            f"Remove “{folder}” from Lexiscope?\n\nIts {n} indexed files leave the index and stop turning up "
            "in searches. The files on your disk are not touched; add the folder again to index it anew.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def remove_folder(self, folder: str) -> None:
        """Stop offering ``folder`` and remove its files from the index, once the user confirms."""
        if not self.confirm_remove(folder):
            return
        if folder in self.settings.sources:
            self.settings.sources.remove(folder)
            self.settings.save()
        self.indexer.remove(folder)
        self.sources.set_summary(self.settings.sources, self.summary)

    def set_watch(self, on: bool) -> None:
        """Turn watching for changes on or off (remembered in the settings)."""
        if self.settings.watch != on:
            self.settings.watch = on
            self.settings.save()
        self.watcher.watch(self.settings.sources if on else [])

    def _index_finished(self, report) -> None:
        self.searcher.invalidate()
        self.refresh_sources()
        if self.last_request is not None:
            self.run_search(self.last_request)
        if self.settings.watch:
            self.watcher.watch(self.settings.sources)

    def refresh_sources(self) -> None:
        """Recount documents per folder (on a worker) and update the dock and folder filter."""
        self.searcher.counts(list(self.settings.sources), self._sources_loaded, self.facets.set_facets,
                             on_failed=lambda error: self._warm_searcher())

    def set_facet(self, key: str, value: str) -> None:
        """Filter by a facet value ("" lifts it) and search again."""
        if value:
            self.search_bar.extra[key] = value
        else:
            self.search_bar.extra.pop(key, None)
        self.search_bar.submit()

    def _warm_searcher(self) -> None:
        """Load the search models now (once), so the first search is quick; and, on a worker here, what the
        first shown result needs. Not while the window opens: then the worker's imports would contend for
        the GIL with the child's start and the GUI thread."""
        if not self._warmed:
            self._warmed = True
            self.searcher.warm()
            self.runner.start(lambda task: warm_up(), name="warm up")  # first-use costs of showing a result

    def _sources_loaded(self, summary: dict) -> None:
        # After the counts, not beside them: the search process answers one request at a time, and loading
        # the models first would keep the window at "Opening the index…" for seconds.
        self._warm_searcher()
        if self.summary is None:
            # By now the long-lived modules (Qt, pyarrow, the app's) are loaded. Freezing them out of the
            # garbage collector's generations keeps full collections short: unfrozen, they took up to
            # 85 ms on the GUI thread (bench/gui_responsiveness.py, max_gc_pause_ms).
            gc.freeze()
            # Folders indexed from the command line belong in the list too (once, at start: later a
            # summary may still count a folder the user is removing).
            extra = [root for root, c in summary["roots"].items() if root not in self.settings.sources and any(c.values())]
            if extra:
                self.settings.sources.extend(sorted(extra))
                self.settings.save()
        self.summary = summary
        self.sources.set_summary(self.settings.sources, summary)
        self.search_bar.set_folders(self.settings.sources)
        if summary["documents"] == 0 and not self.indexer.busy() and self.last_response is None:
            self.results.show_welcome()
        elif self.last_response is None and not self.indexer.busy():
            kinds = ", ".join(f"{n} {k}" for k, n in sorted(summary["by_kind"].items()))
            self.results.show_message("Type a search above, or drop a picture on the search field.",
                                      f"Indexed: {kinds}." if kinds else "")

    # --- searching --------------------------------------------------------------------------------
    def get_model(self, how: str) -> None:
        """Download the image model, or import a model folder (the first-run page's buttons)."""
        image = next((m for m in self.models if m.get("role") == "image"), {})
        model_id = image.get("id") or "clip-vit-b-32-256-datacomp"
        fix = (f"lexiscope models download image {model_id}" if how == "download"
               else f"lexiscope models import image DIR --id {model_id}")
        self.banner.run_fix(fix)

    def run_search(self, request) -> None:
        """Search (off the GUI thread); results arrive in :meth:`_show_response`."""
        self.banner.arm()
        self.last_request = request
        self.searcher.search(request)

    def _show_response(self, request, response, thumbs) -> None:
        paging, self.paging = getattr(self, "paging", False), False
        keep = self.results.view.currentIndex().row() if paging else 0
        self.last_response = response
        self.show_results_page(response.results, thumbs)
        if paging:  # the next page: everything is shown, the reader stays where they were
            self._set_shown(len(response.results))
        self.remember_search(request)
        label = request.label()
        notes = " ".join(response.notes)
        if not response.results:
            self.detail.show_result(None)
            self.results.show_message(f"Nothing found for “{label}”.", notes or "Try other words, or fewer filters.")
        else:
            self.results.show_results()
            view = self.results.view
            self._detail_later = True
            try:
                view.setCurrentIndex(self.proxy.index(max(keep, 0), 0))
            finally:
                self._detail_later = False
        masked = f" — searched as “{response.masked_query}”" if response.masked_query else ""
        more = f" ({len(response.results) - self.shown} more below the relevance floor)" if self.shown < len(response.results) else ""
        self.statusBar().showMessage(f"{self.shown} results for “{label}”{more}{masked} ({response.mode}). {notes}")

    def _current_changed(self, current, _previous) -> None:
        if self._detail_later:  # a new result list: the pane fills once the list has painted
            self._detail_timer.start()
            return
        self._detail_timer.stop()  # the user moved on first: show their choice now
        self._show_detail(current)

    def _show_detail(self, current) -> None:
        result = current.data(RESULT_ROLE) if current.isValid() else None
        query = self.last_request.query if self.last_request else ""
        self.detail.show_result(result, query)
        self.searcher.fetch_dense(result)  # off the GUI thread; arrives in detail.add_dense_spans

    def set_sort(self, mode: str) -> None:
        """Re-sort the list (relevance, date or title) and remember the choice."""
        self.proxy.set_mode(mode)
        self.ui_state.sort = mode

    def more_like_this(self, result) -> None:
        """Search with this hit: by its picture for an image, by its passage's words otherwise."""
        if result.kind == "image":
            self.search_bar.search_image(result.path)
            return
        words = re.findall(r"\w+", result.passage_text or result.snippet)
        self.search_bar.search_words(" ".join(words[:40]))

    def _open(self, result) -> None:
        if result is not None:
            open_or_explain(self, result.path)

    def _set_busy(self, text: str) -> None:
        self.busy_label.setText(text)
        self.busy_label.setVisible(bool(text))
        self.busy_bar.setVisible(bool(text))

    # --- models -----------------------------------------------------------------------------------
    def _models_loaded(self, models: list[dict]) -> None:
        self.models = models
        self.banner.set_status(models)

    def _models_fixed(self) -> None:
        self.searcher.invalidate()
        self.indexer.reset_models()
        self.searcher.fetch_models(self.settings, self._models_loaded)

    # --- closing ----------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Remember the layout, stop every worker (indexing stops after its batch) and wait for them."""
        self.closing = True
        s = self.ui_state
        s.geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        s.window_state = bytes(self.saveState().toBase64().data()).decode()
        s.splitter = bytes(self.splitter.saveState().toBase64().data()).decode()
        try:
            s.save()
        except OSError:
            pass  # a read-only data folder must not stop the app from closing
        self.watcher.stop()
        self.banner.stop()
        self.statusBar().showMessage("Stopping background work…")
        self.runner.stop_all(0)  # set every abort flag (a search waiting on the child returns at once)
        self.searcher.shutdown()
        self.runner.stop_all()
        # A search task that was starting the child when the first shutdown ran publishes it only after
        # start() returns: stop that one too, now that every task has finished.
        self.searcher.shutdown()
        self.indexer.shutdown()
        super().closeEvent(event)


__all__ = ["MainWindow"]
