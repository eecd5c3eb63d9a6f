"""The result list as a Qt model, and a proxy that sorts it by relevance, date or title."""

from __future__ import annotations

from app.ui.qt import QAbstractListModel, QModelIndex, QSortFilterProxyModel, Qt
from app.ui.text import tooltip

RESULT_ROLE = Qt.ItemDataRole.UserRole + 1
THUMB_ROLE = Qt.ItemDataRole.UserRole + 2

SORTS = {"relevance": "Relevance", "date": "Date", "title": "Title"}


class ResultsModel(QAbstractListModel):
    """Holds the results of the last search and their thumbnails (QImage, loaded off-thread)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._results: list = []
        self._thumbs: dict = {}

    def set_results(self, results: list, thumbs: dict | None = None) -> None:
        """Replace the whole list."""
        self.beginResetModel()
        self._results = list(results)
        self._thumbs = dict(thumbs or {})
        self.endResetModel()

    def results(self) -> list:
        """The results, in rank order."""
        return list(self._results)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008 - Qt's name and default (never mutated)
        """Number of results."""
        return 0 if parent.isValid() else len(self._results)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        """Title for display, path as tooltip, the Result and thumbnail for the delegate."""
        if not index.isValid() or index.row() >= len(self._results):
            return None
        r = self._results[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return r.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(r.path)
        if role == RESULT_ROLE:
            return r
        if role == THUMB_ROLE:
            return self._thumbs.get(r.path)
        return None


class ResultsProxy(QSortFilterProxyModel):
    """Sorts results; relevance is the engine's rank, dates sort newest first, titles A–Z."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.mode = "relevance"

    def set_mode(self, mode: str) -> None:
        """Sort by ``mode`` (a key of SORTS)."""
        self.mode = mode if mode in SORTS else "relevance"
        self.invalidate()
        self.sort(0, Qt.SortOrder.AscendingOrder)

    def lessThan(self, left, right) -> bool:  # noqa: N802 - Qt's name
        """Order two rows by the current mode, rank breaking ties."""
        a, b = left.data(RESULT_ROLE), right.data(RESULT_ROLE)
        if self.mode == "date":
            # Newest first; undated results last; rank breaks ties.
            if (a.date or "") != (b.date or ""):
                if not a.date or not b.date:
                    return bool(a.date)
                return a.date > b.date
            return a.rank < b.rank
        if self.mode == "title":
            return (a.title.casefold(), a.rank) < (b.title.casefold(), b.rank)
        return a.rank < b.rank
