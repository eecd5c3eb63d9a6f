"""The result list as a Qt model, kept in the order shown (relevance, date or title), and its proxy."""

from __future__ import annotations

from app.ui.qt import QAbstractListModel, QModelIndex, QSortFilterProxyModel, Qt
from app.ui.text import tooltip

RESULT_ROLE = Qt.ItemDataRole.UserRole + 1
THUMB_ROLE = Qt.ItemDataRole.UserRole + 2

SORTS = {"relevance": "Relevance", "date": "Date", "title": "Title"}


def ordered(results: list, mode: str) -> list:
    """``results`` in the order ``mode`` shows them: relevance is the engine's rank, dates newest first
    (undated last), titles A–Z (case-folded); rank breaks every tie."""
    by_rank = sorted(results, key=lambda r: r.rank)
    if mode == "date":
        # sorted() is stable, reverse=True too: equal dates keep their rank order.
        return sorted((r for r in by_rank if r.date), key=lambda r: r.date, reverse=True) + [
            r for r in by_rank if not r.date]
    if mode == "title":
        return sorted(by_rank, key=lambda r: r.title.casefold())
    return by_rank


class ResultsModel(QAbstractListModel):
    """Holds the results of the last search, in display order, and their thumbnails (QImage, loaded off-thread).

    The order is kept here, computed once in Python per list or sort change, rather than by a sorting proxy:
    a proxy's ``lessThan`` in Python is called a few hundred times per list (each call two ``data()`` calls
    across the Qt/Python boundary), on the GUI thread, every time a search answers.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._results: list = []
        self._thumbs: dict = {}
        self.mode = "relevance"

    def set_results(self, results: list, thumbs: dict | None = None) -> None:
        """Replace the whole list (shown in the current order)."""
        self.beginResetModel()
        self._results = ordered(results, self.mode)
        self._thumbs = dict(thumbs or {})
        self.endResetModel()

    def set_order(self, mode: str) -> None:
        """Show the rows by ``mode`` (a key of SORTS); the selection stays on the same results."""
        mode = mode if mode in SORTS else "relevance"
        if mode == self.mode:
            return
        self.mode = mode
        self.layoutAboutToBeChanged.emit()
        old, new = self._results, ordered(self._results, mode)
        where = {id(r): i for i, r in enumerate(new)}
        persistent = self.persistentIndexList()
        self._results = new
        self.changePersistentIndexList(
            persistent, [self.index(where[id(old[p.row()])], 0) if p.isValid() else QModelIndex() for p in persistent])
        self.layoutChanged.emit()

    def results(self) -> list:
        """The results, in rank order."""
        return sorted(self._results, key=lambda r: r.rank)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008 - Qt's name and default (never mutated)
        """Number of results."""
        return 0 if parent.isValid() else len(self._results)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        """Title for display, path as tooltip, the Result and thumbnail for the delegate."""
        if not index.isValid() or index.row() >= len(self._results):
            return None
        r = self._results[index.row()]
        if role == RESULT_ROLE:  # first: the delegate and the window ask for this one most
            return r
        if role == Qt.ItemDataRole.DisplayRole:
            return r.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(r.path)
        if role == THUMB_ROLE:
            return self._thumbs.get(r.path)
        return None


class ResultsProxy(QSortFilterProxyModel):
    """The view's model: passes the rows through in the source model's order (which does the sorting)."""

    @property
    def mode(self) -> str:
        """The current sort (a key of SORTS)."""
        source = self.sourceModel()
        return source.mode if isinstance(source, ResultsModel) else "relevance"

    def set_mode(self, mode: str) -> None:
        """Sort by ``mode`` (a key of SORTS)."""
        source = self.sourceModel()
        if isinstance(source, ResultsModel):
            source.set_order(mode)
