"""The facet sidebar: newspaper, place and entity lists and a date histogram you can brush.

Choosing a value filters the results (the search bar's ``extra`` and date fields, so the choice is part of
every request, of history and of saved searches); choosing it again, or "Clear", lifts it. Counts are of
documents in the whole index (app.news.facets), computed on a worker after each indexing run.
"""

from __future__ import annotations

from app.ui.qt import (
    QColor,
    QDockWidget,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPainter,
    QPushButton,
    QRectF,
    QSize,
    QSizePolicy,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from app.ui.text import tooltip

FACETS = (("newspaper", "Newspaper"), ("place", "Place"), ("entity", "Person, place or organisation"))
ENTITY_TYPES = {"PER": "person", "LOC": "place", "ORG": "organisation", "MISC": "other"}
BAR = QColor("#4f7bbf")
BRUSH = QColor(224, 155, 61, 110)


def date_buckets(dates: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Document counts per month ("1916-07"), or per day when every date falls in one month; gaps filled."""
    days = [(d, n) for d, n in dates if d and len(d) >= 7]
    if not days:
        return []
    by_day = len({d[:7] for d, _ in days}) == 1
    counts: dict[str, int] = {}
    for d, n in days:
        key = d[:10] if by_day else d[:7]
        counts[key] = counts.get(key, 0) + n
    if by_day:
        return sorted(counts.items())
    first, last = min(counts), max(counts)
    out, (y, m) = [], (int(first[:4]), int(first[5:7]))
    while f"{y:04d}-{m:02d}" <= last:
        key = f"{y:04d}-{m:02d}"
        out.append((key, counts.get(key, 0)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


class DateHistogram(QWidget):
    """Bars of documents per month (or day); drag across bars to choose a date range, click outside to clear."""

    rangeChosen = Signal(object, object)  # first bucket, last bucket (None, None: no range)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.buckets: list[tuple[str, int]] = []
        self.selected: tuple[int, int] | None = None
        self._anchor: int | None = None
        self.setMinimumHeight(70)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """Wide as the dock, 70 px high."""
        return QSize(200, 70)

    def set_buckets(self, buckets: list[tuple[str, int]]) -> None:
        """Show these (label, count) bars; a previous selection is kept if it still fits."""
        self.buckets = buckets
        if self.selected and self.selected[1] >= len(buckets):
            self.selected = None
        self.update()

    def _index_at(self, x: float) -> int:
        n = max(1, len(self.buckets))
        return min(n - 1, max(0, int(x / max(1.0, self.width()) * n)))

    def select(self, first: int, last: int) -> None:
        """Choose the bars ``first``..``last`` (inclusive) and announce their range."""
        if not self.buckets:
            return
        first, last = sorted((first, last))
        self.selected = (first, last)
        self.update()
        self.rangeChosen.emit(self.buckets[first][0], self.buckets[last][0])

    def clear(self) -> None:
        """No range."""
        if self.selected is not None:
            self.selected = None
            self.update()
            self.rangeChosen.emit(None, None)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Start a brush on the bar under the pointer."""
        if self.buckets:
            self._anchor = self._index_at(event.position().x())
            self.selected = (self._anchor, self._anchor)
            self.update()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Extend the brush while the button is held; show the bar's count as a tooltip."""
        i = self._index_at(event.position().x())
        if self.buckets:
            self.setToolTip(tooltip(f"{self.buckets[i][0]}: {self.buckets[i][1]} documents"))
        if self._anchor is not None:
            self.selected = (min(self._anchor, i), max(self._anchor, i))
            self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Finish the brush: the chosen range filters the results."""
        if self._anchor is not None:
            anchor, self._anchor = self._anchor, None
            self.select(anchor, self._index_at(event.position().x()))

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Bars scaled to the busiest bucket, the brushed range behind them."""
        if not self.buckets:
            return
        p = QPainter(self)
        n, h = len(self.buckets), self.height() - 14
        w = self.width() / n
        top = max(c for _, c in self.buckets) or 1
        if self.selected:
            a, b = self.selected
            p.fillRect(QRectF(a * w, 0, (b - a + 1) * w, self.height()), BRUSH)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(BAR)
        for i, (_, c) in enumerate(self.buckets):
            bar_h = max(1.0 if c else 0.0, h * c / top)
            p.drawRect(QRectF(i * w + 1, h - bar_h, max(1.0, w - 2), bar_h))
        p.setPen(self.palette().color(self.foregroundRole()))
        p.drawText(QRectF(0, h, self.width(), 14), Qt.AlignmentFlag.AlignLeft, self.buckets[0][0])
        p.drawText(QRectF(0, h, self.width(), 14), Qt.AlignmentFlag.AlignRight, self.buckets[-1][0])
        p.end()


class FacetsDock(QDockWidget):
    """Filters by newspaper, place, entity and date; emits what the user chose."""

    facetChosen = Signal(str, str)  # facet key, value ("" lifts the filter)
    datesChosen = Signal(object, object)  # after, before (None: open)

    def __init__(self, parent=None):
        super().__init__("Filters", parent)
        self.setObjectName("facetsDock")
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        body = QWidget()
        self.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        heading = QLabel("Dates (drag across the bars)")
        heading.setObjectName("sectionHeading")
        self.histogram = DateHistogram()
        self.histogram.rangeChosen.connect(self.datesChosen)
        layout.addWidget(heading)
        layout.addWidget(self.histogram)
        self.lists: dict[str, QListWidget] = {}
        for key, label in FACETS:
            title = QLabel(label)
            title.setObjectName("sectionHeading")
            lst = QListWidget()
            lst.setObjectName(f"facet-{key}")
            lst.itemClicked.connect(lambda item, k=key: self._clicked(k, item))
            layout.addWidget(title)
            layout.addWidget(lst, 1)
            self.lists[key] = lst
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.clicked.connect(self.clear)
        self.empty = QLabel("Newspaper facets appear once newspapers are indexed.")
        self.empty.setObjectName("dim")
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        layout.addWidget(self.clear_button)
        self.chosen: dict[str, str] = {}

    def set_facets(self, facets) -> None:
        """Fill the lists and the histogram from an app.news.facets.Facets."""
        values = {"newspaper": facets.newspapers, "place": facets.places,
                  "entity": sorted((pair for pairs in facets.entities.values() for pair in pairs), key=lambda p: -p[1])}
        for key, lst in self.lists.items():
            lst.clear()
            for value, count in values[key][:40]:
                text = value
                if key == "entity":
                    kind, _, name = value.partition(":")
                    text = f"{name} ({ENTITY_TYPES.get(kind, kind.lower())})"
                item = QListWidgetItem(f"{text}  {count}")
                item.setData(Qt.ItemDataRole.UserRole, value)
                item.setToolTip(tooltip(value))
                lst.addItem(item)
                item.setSelected(self.chosen.get(key) == value)
        self.histogram.set_buckets(date_buckets(facets.dates))
        self.empty.setVisible(not facets.documents)

    def choose(self, key: str, value: str) -> None:
        """Filter by ``value`` of facet ``key`` ("" lifts it) and tell the window."""
        if value:
            self.chosen[key] = value
        else:
            self.chosen.pop(key, None)
        lst = self.lists[key]
        for i in range(lst.count()):
            lst.item(i).setSelected(lst.item(i).data(Qt.ItemDataRole.UserRole) == value)
        self.facetChosen.emit(key, value)

    def show_chosen(self, extra: dict) -> None:
        """Reflect a restored search's facet filters (saved searches) without searching."""
        self.chosen = {k: v for k, v in extra.items() if k in self.lists and v}
        for key, lst in self.lists.items():
            for i in range(lst.count()):
                lst.item(i).setSelected(lst.item(i).data(Qt.ItemDataRole.UserRole) == self.chosen.get(key))

    def _clicked(self, key: str, item) -> None:
        value = item.data(Qt.ItemDataRole.UserRole)
        self.choose(key, "" if self.chosen.get(key) == value else value)  # a second click lifts it

    def clear(self) -> None:
        """Lift every facet and the date range."""
        for key in list(self.chosen):
            self.choose(key, "")
        self.histogram.clear()
