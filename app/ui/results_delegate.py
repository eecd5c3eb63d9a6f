"""Paints one result: thumbnail or kind badge, title and score, source line, snippet with matches bold."""

from __future__ import annotations

from app.ui.qt import (
    QColor,
    QFont,
    QFontMetrics,
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


class ResultDelegate(QStyledItemDelegate):
    """Draws result rows of a fixed height so the list scrolls smoothly."""

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
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setDocumentMargin(0)
        doc.setTextWidth(text_rect.width())
        doc.setHtml(item_html(result, fg.name(), dim.name(QColor.NameFormat.HexRgb)))
        painter.translate(text_rect.topLeft())
        painter.setClipRect(QRectF(0, 0, text_rect.width(), text_rect.height()))
        doc.drawContents(painter, QRectF(0, 0, text_rect.width(), text_rect.height()))
        painter.restore()

    @staticmethod
    def _paint_icon(painter: QPainter, rect: QRect, result, thumb) -> None:
        if thumb is not None and not thumb.isNull():
            pix = QPixmap.fromImage(thumb)
            x = rect.left() + (rect.width() - pix.width()) // 2
            y = rect.top() + (rect.height() - pix.height()) // 2
            painter.drawPixmap(x, y, pix)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(KIND_COLOURS.get(result.kind, "#777777"))
        badge = QRectF(rect.adjusted(8, 14, -8, -14))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour.lighter(170))
        painter.drawRoundedRect(badge, 6, 6)
        painter.setPen(colour.darker(130))
        font = painter.font()
        font.setBold(True)
        font.setPointSizeF(8)
        painter.setFont(font)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, (result.kind or "file").upper())
