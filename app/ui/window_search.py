"""The window's search extras: relevance floor and "Show more", history and saved searches, the hit menu.

Mixed into MainWindow (like WindowActions). The persistent part (app.searches.SearchBook) has no Qt.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from app.searches import SavedSearch, SearchBook
from app.ui.detail_pane import open_or_explain
from app.ui.qt import QAction, QGuiApplication, QInputDialog, QMenu, QStringListModel, QCompleter, Qt
from app.ui.results_model import RESULT_ROLE
from app.search_service import PAGE, SearchRequest, above_floor
from app.ui.workers import TaskRunner

RECENT_IN_MENU = 10


class BookWriter:
    """Writes the search book's file on a worker, so a search's answer never waits for the disk.

    The snapshot (a few kB of JSON) is taken on the GUI thread, where the book changes; the write runs on the
    pool. Writes are serialised and numbered: an older snapshot that reaches the disk after a newer one is
    dropped, so the file always ends as the book last stood (on quit the pool is drained, so it is written).
    """

    def __init__(self, book: SearchBook, runner: TaskRunner):
        self.book = book
        self.runner = runner
        self._lock = threading.Lock()
        self._taken = 0  # snapshots taken (GUI thread only)
        self._written = 0  # the newest snapshot on disk (under the lock)

    def save_later(self) -> None:
        """Write the book as it is now, on a worker; a failure (read-only data folder) is ignored."""
        text = self.book.to_json()
        if text is None:
            return
        self._taken += 1
        n = self._taken
        self.runner.start(lambda task: self._write(n, text), name="save searches")

    def save_now(self) -> None:
        """Write the book as it is now, on this thread (an explicit save: its error is the caller's)."""
        text = self.book.to_json()
        if text is not None:
            self._taken += 1
            self._write(self._taken, text)

    def _write(self, n: int, text: str) -> None:
        with self._lock:
            if n > self._written:
                self.book.write(text)
                self._written = n

if TYPE_CHECKING:
    from app.ui.facets_dock import FacetsDock
    from app.ui.qt import QMainWindow, QMenu as _QMenu
    from app.ui.results_area import ResultsArea
    from app.ui.results_model import ResultsModel, ResultsProxy
    from app.ui.search_bar import SearchBar

    class _Host(QMainWindow):
        """What this mixin uses of MainWindow (for the type checker only)."""

        search_bar: SearchBar
        results: ResultsArea
        model: ResultsModel
        proxy: ResultsProxy
        facets: FacetsDock
        runner: TaskRunner
        menu_by_name: dict[str, _QMenu]
        last_request: SearchRequest | None

        def run_search(self, request: SearchRequest) -> None: ...
        def preview(self, result) -> None: ...
        def more_like_this(self, result) -> None: ...
else:
    _Host = object


class WindowSearch(_Host):
    """Expects MainWindow's attributes (search_bar, results, model, proxy, detail, last_request …)."""

    def setup_search_extras(self) -> None:
        """History completer, the Search menu's saved/recent lists, the hit context menu, Show more."""
        self.book = SearchBook()
        self.book_writer = BookWriter(self.book, self.runner)
        self.all_results: list = []
        self._completions = QStringListModel(self)
        completer = QCompleter(self._completions, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.search_bar.field.setCompleter(completer)
        menu = self.menu_by_name["&Search"]
        menu.addSeparator()
        self.saved_menu = menu.addMenu("Saved searches")
        self.recent_menu = menu.addMenu("Recent searches")
        view = self.results.view
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self.hit_menu)
        self.results.more.clicked.connect(self.show_more)
        self.refresh_search_menus()

    # --- floor and paging ---------------------------------------------------------------------------
    def show_results_page(self, results: list, thumbs: dict) -> None:
        """Show the results above the relevance floor; the rest wait behind "Show more"."""
        self.all_results = list(results)
        self._thumbs = thumbs
        self._set_shown(above_floor(results))

    def _set_shown(self, n: int) -> None:
        self.shown = n
        self.model.set_results(self.all_results[:n], self._thumbs)  # in the current sort order
        hidden = len(self.all_results) - n
        if hidden > 0:
            self.results.set_more(f"Show {hidden} more (less close matches)")
        elif self.last_request is not None and len(self.all_results) >= self.last_request.k:
            self.results.set_more(f"Show the next {PAGE} results")
        else:
            self.results.set_more("")

    def show_more(self) -> None:
        """Reveal the results below the floor, or ask the engine for the next page."""
        if self.shown < len(self.all_results):
            current = self.results.view.currentIndex()
            self._set_shown(len(self.all_results))
            if current.isValid():
                self.results.view.setCurrentIndex(self.proxy.index(current.row(), 0))
        elif self.last_request is not None and len(self.all_results) >= self.last_request.k:
            self.paging = True
            self.run_search(replace(self.last_request, k=self.last_request.k + PAGE))

    # --- history and saved searches -----------------------------------------------------------------
    def remember_search(self, request: SearchRequest) -> None:
        """Add a words search to the history (pictures are not kept: the file may be temporary)."""
        if request.image is None and request.query.strip():
            # Written on a worker (a read-only data folder fails there, quietly: only the history is not kept).
            self.book.remember(SavedSearch.of(request.query, request.filters, request.mask_entities), persist=False)
            self.book_writer.save_later()
            self.refresh_search_menus()

    def refresh_search_menus(self) -> None:
        """Rebuild the completer and the Saved / Recent submenus from the book."""
        self._completions.setStringList(list(dict.fromkeys(h.query for h in self.book.history)))
        for menu, items in ((self.saved_menu, list(self.book.saved.items())),
                            (self.recent_menu, [(h.query, h) for h in self.book.history[:RECENT_IN_MENU]])):
            menu.clear()
            for label, search in items:
                action = QAction(label, menu)
                action.triggered.connect(lambda _=False, s=search: self.run_saved(s))
                menu.addAction(action)
            menu.setEnabled(bool(items))

    def run_saved(self, search: SavedSearch) -> None:
        """Put a saved or recent search back in the search bar (words, filters, masking) and run it."""
        self.search_bar.apply_search(search.query, search.to_filters(), search.mask_entities)
        self.facets.show_chosen(self.search_bar.extra)
        self.search_bar.submit()

    def save_search_dialog(self) -> None:
        """Ask for a name and save the current search."""
        req = self.last_request
        if req is None or req.image is not None or not req.query.strip():
            self.statusBar().showMessage("Search for some words first: that search can then be saved.", 6000)
            return
        name, ok = QInputDialog.getText(self, "Save this search", "Name:", text=req.query[:40])
        if ok and name.strip():
            self.save_search(name, req)

    def save_search(self, name: str, req: SearchRequest) -> None:
        """Save ``req`` under ``name``."""
        try:
            self.book.save_as(name, SavedSearch.of(req.query, req.filters, req.mask_entities), persist=False)
            self.book_writer.save_now()
        except OSError as exc:
            self.statusBar().showMessage(f"Could not save the search: {exc.strerror or exc}", 8000)
            return
        self.refresh_search_menus()
        self.statusBar().showMessage(f"Saved the search as “{name.strip()}”.", 6000)

    # --- the hit's context menu ---------------------------------------------------------------------
    def hit_menu(self, pos) -> None:
        """Right-click on a hit: open, show in folder, copy path, quick look, more like this."""
        index = self.results.view.indexAt(pos)
        result = index.data(RESULT_ROLE) if index.isValid() else None
        if result is None:
            return
        self.results.view.setCurrentIndex(index)
        menu = self.build_hit_menu(result)
        menu.popup(self.results.view.viewport().mapToGlobal(pos))

    def build_hit_menu(self, result) -> QMenu:
        """The context menu for ``result`` (public for tests)."""
        from pathlib import Path

        menu = QMenu(self)
        for label, slot in (("Open", lambda: open_or_explain(self, result.path)),
                            ("Show in folder", lambda: open_or_explain(self, str(Path(result.path).parent))),
                            ("Copy path", lambda: QGuiApplication.clipboard().setText(result.path)),
                            ("Quick look", lambda: self.preview(result)),
                            ("More like this", lambda: self.more_like_this(result))):
            action = menu.addAction(label)
            action.triggered.connect(slot)
        return menu
