"""Paints one result: thumbnail or kind badge, title and score, source line, snippet with matches bold."""

from __future__ import annotations

from collections import OrderedDict

from app.ui.qt import (
    QColor,
    QFont,
    QFontMetrics,
    QGradient,
    QPainter,
    QPalette,
    QPixmap,
    QRect,
    QRectF,
    QSize,
    QStyle,
    QStyledItemDelegate,
    Qt,
    QTextDocument,
)
from app.ui.results_model import RESULT_ROLE, THUMB_ROLE
from app.ui.text import display_title, esc, highlight, source_line

PAD = 10
ICON = 72
ROW_HEIGHT = ICON + 2 * PAD + 12
SNIPPET_CHARS = 190
KIND_COLOURS = {"text": "#4f7bbf", "news": "#a0703c", "image": "#4c9a6a"}


def item_html(result, text_colour: str = "#1f2328", dim_colour: str = "#656d76") -> str:
    """The rich text of a row. Every value from the file is escaped (a title may contain markup)."""
    title = esc(display_title(result))
    source = esc(source_line(result))
    text, spans = result.snippet.replace("\n", " "), result.highlights
    if len(text) > SNIPPET_CHARS:
        # Three lines fit a row; cut at a word and keep only highlights that remain whole.
        cut = text.rfind(" ", 0, SNIPPET_CHARS)
        text = text[: cut if cut > 0 else SNIPPET_CHARS] + "…"
        spans = [(s, e) for s, e in spans if e <= len(text)]
    snippet = highlight(text, spans)
    return (
        f'<div style="color:{text_colour}"><span style="font-weight:600; font-size:10.5pt">{title}</span>'
        f'<br><span style="color:{dim_colour}; font-size:8.5pt">{source}</span>'
        f'<br><span style="font-size:9pt">{snippet}</span></div>'
    )


def score_text(result) -> str:
    """The score as shown at the row's right edge."""
    return f"{result.score:.3g}"


def warm_up() -> None:
    """Create, on a worker at start-up, the Qt enum types PySide builds lazily on first use that the first
    painted row needs: QPainter.fillRect's overloads take QGradient's five enums, and building them took
    ~50 ms on the GUI thread at the first result list (shiboken's lazy enums are plain Python classes)."""
    for name in ("Type", "Spread", "CoordinateMode", "InterpolationMode", "Preset"):
        getattr(QGradient, name)


# Laid-out row texts kept for repaints (selection moves, scrolling back): a list shows 50-100 rows.
DOC_CACHE = 256


class ResultDelegate(QStyledItemDelegate):
    """Draws result rows of a fixed height so the list scrolls smoothly."""

    def __init__(self, parent=None):
        super().__init__(parent)
        # (row html, font, width) -> its laid-out QTextDocument. Parsing and laying out the rich text is most of a
        # row's paint; every selection change or scroll repaints the visible rows, on the GUI thread.
        self._docs: OrderedDict[tuple[str, str, int], QTextDocument] = OrderedDict()
        self._pixmaps: dict[int, QPixmap] = {}  # thumbnail QImage.cacheKey() -> its pixmap
        self._badges: dict[tuple, QPixmap] = {}

    def _document(self, html: str, font: QFont, width: int) -> QTextDocument:
        key = (html, font.key(), width)
        doc = self._docs.get(key)
        if doc is not None:
            self._docs.move_to_end(key)
            return doc
        doc = QTextDocument()
        doc.setDefaultFont(font)
        doc.setDocumentMargin(0)
        doc.setTextWidth(width)
        doc.setHtml(html)
        self._docs[key] = doc
        if len(self._docs) > DOC_CACHE:
            self._docs.popitem(last=False)
        return doc

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 - Qt's name
        """Every row has the same height; the width follows the view."""
        return QSize(200, ROW_HEIGHT)

    def paint(self, painter: QPainter, option, index) -> None:
        """Paint the row."""
        result = index.data(RESULT_ROLE)
        if result is None:
            return
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        pal = option.palette
        if selected:
            painter.fillRect(option.rect, pal.color(QPalette.ColorRole.Highlight))
        elif index.row() % 2:
            painter.fillRect(option.rect, pal.color(QPalette.ColorRole.AlternateBase))
        rect = option.rect.adjusted(PAD, PAD, -PAD, -PAD)
        icon = QRect(rect.left(), rect.top(), ICON, ICON)
        self._paint_icon(painter, icon, result, index.data(THUMB_ROLE))

        # Score at the right, then the text block between icon and score.
        fg = pal.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        dim = QColor(fg)
        dim.setAlpha(150)
        font = QFont(option.font)
        font.setPointSizeF(max(font.pointSizeF() - 1, 7))
        painter.setFont(font)
        painter.setPen(dim)
        score_w = QFontMetrics(font).horizontalAdvance("0.00000") + 4
        score_rect = QRect(rect.right() - score_w, rect.top(), score_w, 18)
        painter.drawText(score_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, score_text(result))

        text_rect = QRect(icon.right() + PAD, rect.top() - 2, rect.width() - ICON - 2 * PAD - score_w, rect.height() + 4)
        doc = self._document(item_html(result, fg.name(), dim.name(QColor.NameFormat.HexRgb)), option.font,
                             text_rect.width())
        painter.translate(text_rect.topLeft())
        painter.setClipRect(QRectF(0, 0, text_rect.width(), text_rect.height()))
        doc.drawContents(painter, QRectF(0, 0, text_rect.width(), text_rect.height()))
        painter.restore()

    def _paint_icon(self, painter: QPainter, rect: QRect, result, thumb) -> None:
        if thumb is not None and not thumb.isNull():
            pix = self._pixmaps.get(thumb.cacheKey())
            if pix is None:  # converted once per thumbnail, not on every repaint
                pix = self._pixmaps[thumb.cacheKey()] = QPixmap.fromImage(thumb)
                if len(self._pixmaps) > DOC_CACHE:
                    self._pixmaps.pop(next(iter(self._pixmaps)))
            x = rect.left() + (rect.width() - pix.width()) // 2
            y = rect.top() + (rect.height() - pix.height()) // 2
            painter.drawPixmap(x, y, pix)
            return
        painter.drawPixmap(rect.topLeft(), self._badge(result.kind or "file", rect.size(), painter.device().devicePixelRatioF(),
                                                      painter.font()))

    def _badge(self, kind: str, size: QSize, dpr: float, base_font: QFont) -> QPixmap:
        """The kind badge ("TEXT", "NEWS" …) for rows without a thumbnail, drawn once per kind and size."""
        key = (kind, size.width(), size.height(), dpr, base_font.key())
        pix = self._badges.get(key)
        if pix is not None:
            return pix
        pix = QPixmap(size * dpr)
        pix.setDevicePixelRatio(dpr)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(KIND_COLOURS.get(kind, "#777777"))
        badge = QRectF(QRect(0, 0, size.width(), size.height()).adjusted(8, 14, -8, -14))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour.lighter(170))
        p.drawRoundedRect(badge, 6, 6)
        p.setPen(colour.darker(130))
        font = QFont(base_font)
        font.setBold(True)
        font.setPointSizeF(8)
        p.setFont(font)
        p.drawText(badge, Qt.AlignmentFlag.AlignCenter, kind.upper())
        p.end()
        self._badges[key] = pix
        return pix
