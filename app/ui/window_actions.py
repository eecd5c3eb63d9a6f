"""The window's dialogs and one-shot actions: add folder, sample collection, export, settings, preview."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.export import EXPORT_FORMATS
from app.ui.qt import QFileDialog, QMessageBox

# The save dialog's filters, one per export format (app.export.EXPORT_FORMATS).
EXPORT_FILTERS = {f.name: f.label for f in EXPORT_FORMATS.values()}

if TYPE_CHECKING:
    from app.config import Settings
    from app.search.types import SearchResponse
    from app.ui.index_controller import IndexController
    from app.ui.qt import QMainWindow
    from app.ui.search_controller import SearchController
    from app.search_service import SearchRequest
    from app.ui.workers import TaskRunner

    class _Host(QMainWindow):
        """What this mixin uses of MainWindow (for the type checker only)."""

        settings: Settings
        models: list[dict]
        runner: TaskRunner
        indexer: IndexController
        searcher: SearchController
        last_request: SearchRequest | None
        last_response: SearchResponse | None

        def add_paths(self, paths: list[str]) -> None: ...
else:
    _Host = object


class WindowActions(_Host):
    """Mixed into MainWindow; expects its attributes (settings, runner, indexer, search results …)."""

    def choose_folder(self) -> None:
        """Ask for a folder and index it."""
        path = QFileDialog.getExistingDirectory(self, "Add a folder to Lexiscope", str(Path.home()))
        if path:
            self.add_paths([path])

    def try_sample(self) -> None:
        """Index the bundled sample collection (photos, 1916 newspapers, notes)."""
        from app.resources import sample_collection

        self.add_paths([str(sample_collection())])

    def export_dialog(self) -> None:
        """Ask where to save the current results, then export them."""
        if self.last_response is None or not self.last_response.results:
            self.statusBar().showMessage("Search first: there are no results to export.", 6000)
            return
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export results", str(Path.home() / "lexiscope-results.csv"), ";;".join(EXPORT_FILTERS.values())
        )
        if path:
            fmt = next((k for k, v in EXPORT_FILTERS.items() if v == chosen), None)
            self.export_to(path, fmt)

    def export_to(self, path: str, fmt: str | None = None) -> None:
        """Export the current results to ``path`` on a worker.

        A typed extension that names a format wins; otherwise ``fmt`` (the dialog's filter) is used and
        its extension added (:func:`app.export.target_for`).
        """
        from app import export

        response = self.last_response
        if response is None:
            return
        target, fmt = export.target_for(path, fmt)
        self.statusBar().showMessage(f"Exporting {len(response.results)} results…")
        self.runner.start(
            lambda task: export.write(response, fmt, target),
            name="export",
            done=lambda written: self.statusBar().showMessage(f"Exported to {written}", 10000),
            failed=lambda err: self.statusBar().showMessage(f"Export failed: {err[0]}", 10000),
        )

    def settings_dialog(self) -> None:
        """Show the settings dialog and apply what the user accepts."""
        from app.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self.models, self)
        if dialog.exec():
            dialog.apply()
            self.searcher.invalidate(self.settings)  # device or masking may have changed
            self.indexer.reset_models()
            self.statusBar().showMessage("Settings saved.", 5000)

    def preview(self, result) -> None:
        """A quick look at ``result`` (Space in the list).

        A text hit's whole document is read by the search process (which has the index open) and the
        dialog opens when it arrives: read here, the first quick look would load LanceDB on the GUI thread.
        """
        if result is None:
            return
        query = self.last_request.query if self.last_request else ""
        if result.kind == "image":
            self._open_preview(result, query, None)
            return
        self.searcher.fetch_document(result, lambda document: self._open_preview(result, query, document))

    def _open_preview(self, result, query: str, document: tuple[str, int] | None) -> None:
        from app.ui.preview import PreviewDialog
        from app.ui.qt import Qt

        dialog = PreviewDialog(result, query, self, document=document)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()  # window-modal without a nested event loop (this may run inside a worker's callback)

    def about(self) -> None:
        """Version and where the data lives."""
        from app import __version__
        from app.config import data_root

        from app.ui.text import esc

        # Rich text (so the data path cannot be taken for markup, it is escaped).
        QMessageBox.about(
            self, "About Lexiscope",
            f"<p><b>Lexiscope {esc(__version__)}</b></p><p>Search your folders by meaning, with every hit "
            f"explained.</p><p>Data: {esc(data_root())}</p>",
        )
