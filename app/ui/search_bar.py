"""The search row: query field (drop or paste an image to search by it), parallels toggle, filters, sort."""

from __future__ import annotations

import os
import time
from pathlib import Path

from app.config import data_root
from app.search.types import Filters, normalise_date
from app.ui.qt import (
    QCheckBox,
    QComboBox,
    QGuiApplication,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QLineEdit,
    QPushButton,
    Qt,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from app.ui.results_model import SORTS
from app.search_service import SearchRequest, is_image
from app.ui.text import tooltip

KINDS = (("", "All kinds"), ("text", "Text"), ("image", "Images"), ("news", "Newspapers"))


def local_paths(mime) -> list[str]:
    """Local file paths carried by drag-and-drop or clipboard data."""
    if mime is None or not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


class SearchField(QLineEdit):
    """The query field. An image file dropped or pasted here becomes an image query."""

    imageChosen = Signal(str)
    pathsDropped = Signal(list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("searchField")
        self.setPlaceholderText("Search your folders — or drop a picture here to find similar ones")
        self.setClearButtonEnabled(True)
        self.setAcceptDrops(True)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Accept files as well as text."""
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Keep accepting files while they hover."""
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """An image searches by it; folders and other files are added to the index."""
        paths = local_paths(event.mimeData())
        if not paths:
            super().dropEvent(event)
            return
        event.acceptProposedAction()
        if len(paths) == 1 and is_image(paths[0]) and os.path.isfile(paths[0]):
            self.imageChosen.emit(paths[0])
        else:
            self.pathsDropped.emit(paths)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Paste of an image file or image data searches by it; other pastes are text."""
        if event.matches(QKeySequence.StandardKey.Paste) and self._paste_image():
            return
        super().keyPressEvent(event)

    def _paste_image(self) -> bool:
        mime = QGuiApplication.clipboard().mimeData()
        paths = [p for p in local_paths(mime) if is_image(p) and os.path.isfile(p)]
        if paths:
            self.imageChosen.emit(paths[0])
            return True
        if mime is not None and mime.hasImage():
            image = QGuiApplication.clipboard().image()
            if not image.isNull():
                folder = data_root() / "pasted"
                folder.mkdir(exist_ok=True)
                path = folder / f"pasted-{int(time.time())}.png"
                image.save(str(path))
                self.imageChosen.emit(str(path))
                return True
        return False


class SearchBar(QWidget):
    """Builds a :class:`SearchRequest` from what the user set and asks for it on Enter."""

    searchRequested = Signal(object)
    sortChanged = Signal(str)
    pathsDropped = Signal(list)
    invalid = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("searchBar")
        self.image: Path | None = None
        # Facet choices (newspaper, place, entity) from the facet sidebar: part of every request.
        self.extra: dict = {}
        self.field = SearchField(self)
        self.field.returnPressed.connect(self.submit)
        self.field.imageChosen.connect(self.search_image)
        self.field.pathsDropped.connect(self.pathsDropped)
        self.field.textEdited.connect(self._typed)
        self.chip = QToolButton(self)
        self.chip.setObjectName("imageChip")
        self.chip.setToolTip("Searching by this picture; click to go back to words")
        self.chip.clicked.connect(self.clear_image)
        self.chip.hide()
        go = QPushButton("Search")
        go.setObjectName("primary")
        go.clicked.connect(self.submit)
        self.mask_names = QCheckBox("Find parallels (mask names)")
        self.mask_names.setToolTip("Replace names of people, places and organisations before searching,\n"
                             "so stories that match in substance turn up even with other names.")
        self.mask_names.toggled.connect(self._refilter)
        self.kind = QComboBox()
        for value, label in KINDS:
            self.kind.addItem(label, value)
        self.kind.currentIndexChanged.connect(self._refilter)
        self.folder = QComboBox()
        self.folder.setMinimumContentsLength(14)
        self.folder.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.set_folders([])
        self.folder.currentIndexChanged.connect(self._refilter)
        self.after = QLineEdit()
        self.before = QLineEdit()
        for w, text in ((self.after, "from (YYYY-MM-DD)"), (self.before, "to (YYYY-MM-DD)")):
            w.setPlaceholderText(text)
            w.setMaximumWidth(130)
            w.returnPressed.connect(self.submit)
        self.sort = QComboBox()
        for key, label in SORTS.items():
            self.sort.addItem(f"Sort: {label}", key)
        self.sort.currentIndexChanged.connect(lambda: self.sortChanged.emit(self.sort.currentData()))

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.chip)
        top.addWidget(self.field, 1)
        top.addWidget(go)
        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        filters.addWidget(self.mask_names)
        filters.addSpacing(12)
        filters.addWidget(self.kind)
        filters.addWidget(self.folder)
        filters.addWidget(QLabel("Dates"))
        filters.addWidget(self.after)
        filters.addWidget(self.before)
        filters.addStretch()
        filters.addWidget(self.sort)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 6)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(filters)

    def set_folders(self, folders: list[str]) -> None:
        """Offer these folders in the folder filter (keeps the current choice if still there)."""
        current = self.folder.currentData()
        self.folder.blockSignals(True)
        self.folder.clear()
        self.folder.addItem("All folders", "")
        for f in folders:
            self.folder.addItem(Path(f).name or f, f)
            self.folder.setItemData(self.folder.count() - 1, tooltip(f), Qt.ItemDataRole.ToolTipRole)
        index = self.folder.findData(current) if current else 0
        self.folder.setCurrentIndex(max(index, 0))
        self.folder.blockSignals(False)

    def request(self) -> SearchRequest | None:
        """The request the controls describe, or None (with ``invalid`` emitted) for a bad date."""
        after, before = self.after.text().strip() or None, self.before.text().strip() or None
        try:
            normalise_date(after)
            normalise_date(before, end=True)
        except ValueError as exc:
            self.invalid.emit(str(exc))
            return None
        kind = self.kind.currentData()
        filters = Filters(kinds=(kind,) if kind else (), folder=self.folder.currentData() or None,
                          after=after, before=before, extra=dict(self.extra))
        text = "" if self.image is not None else self.field.text().strip()
        return SearchRequest(query=text, image=self.image, filters=filters, mask_entities=self.mask_names.isChecked())

    def submit(self) -> None:
        """Ask for a search with the current settings (nothing to search: nothing happens)."""
        req = self.request()
        if req is not None and not req.is_empty():
            self.searchRequested.emit(req)

    def apply_search(self, query: str, filters: Filters, mask: bool) -> None:
        """Set every control to a stored search (history, saved searches) without searching yet."""
        widgets = (self.kind, self.folder, self.mask_names, self.after, self.before)
        for w in widgets:
            w.blockSignals(True)
        self.clear_image()
        self.field.setText(query)
        self.kind.setCurrentIndex(max(self.kind.findData(filters.kinds[0] if filters.kinds else ""), 0))
        self.folder.setCurrentIndex(max(self.folder.findData(filters.folder or ""), 0))
        self.after.setText(filters.after or "")
        self.before.setText(filters.before or "")
        self.mask_names.setChecked(mask)
        self.extra = dict(filters.extra)
        for w in widgets:
            w.blockSignals(False)

    def set_dates(self, after: str | None, before: str | None) -> None:
        """Set the date range (the facet sidebar's brushed histogram) and search again."""
        self.after.setText(after or "")
        self.before.setText(before or "")
        self.submit()

    def search_words(self, text: str) -> None:
        """Put ``text`` in the field and search for it."""
        self.clear_image(search=False)
        self.field.setText(text)
        self.submit()

    def search_image(self, path: str) -> None:
        """Search by the picture at ``path``."""
        self.image = Path(path)
        self.chip.setText(f"Picture: {self.image.name}  ✕")
        self.chip.setToolTip(tooltip(f"Searching by {self.image}; click to go back to words"))
        self.chip.show()
        self.field.clear()
        self.field.setPlaceholderText("Searching by picture — type to search by words instead")
        self.submit()

    def clear_image(self, search: bool = False) -> None:
        """Back to searching by words."""
        self.image = None
        self.chip.hide()
        self.field.setPlaceholderText("Search your folders — or drop a picture here to find similar ones")

    def _typed(self, text: str) -> None:
        if self.image is not None and text:
            self.clear_image()

    def _refilter(self, *args) -> None:
        # A filter change re-runs the current search (if there is one) so the list always matches.
        self.submit()
