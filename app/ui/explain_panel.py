"""Why a result matched: top vocabulary terms as bars, coverage, component scores, image words.

Renders ``result.explanation`` (an :class:`app.search.explanation.Explanation`): ``terms`` (term,
contribution, query and document weights), ``coverage`` (share of the sparse score the listed terms
explain), ``components`` = {dense, sparse, bm25, fused, ...}, and for images ``image_words`` (term,
weight, shared); ``spans`` of kind "dense" (the text model's query-token → passage-word
alignment, fetched on selection for any hit but the top one) are listed as pairs. Hovering a bar emits
:attr:`ExplainPanel.termHovered` so the passage view can light up that term's spans. With no explanation,
a short neutral note stands in.
"""

from __future__ import annotations

from app.search.explanation import Explanation, Term
from app.ui.qt import (
    QColor,
    QFontMetrics,
    QLabel,
    QPainter,
    QRectF,
    QSize,
    QSizePolicy,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from app.ui.text import esc

MAX_TERMS = 10
MAX_DENSE_PAIRS = 8
BAR_ROW = 20
BAR_COLOUR = QColor("#4f7bbf")
BAR_HOVER = QColor("#e09b3d")


class TermBars(QWidget):
    """A custom-painted horizontal bar chart of term contributions; hover reports the term."""

    termHovered = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.terms: list[Term] = []
        self.hovered = -1
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_terms(self, terms: list[Term]) -> None:
        """Show the top terms in the explanation's order (content words first: app.explain.order_terms)."""
        self.terms = list(terms)[:MAX_TERMS]
        self.hovered = -1
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """One row per term."""
        return QSize(260, max(1, len(self.terms)) * BAR_ROW + 4)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """As tall as the rows."""
        return QSize(160, self.sizeHint().height())

    def _row_at(self, y: float) -> int:
        row = int(y // BAR_ROW)
        return row if 0 <= row < len(self.terms) else -1

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Track the hovered bar."""
        row = self._row_at(event.position().y())
        if row != self.hovered:
            self.hovered = row
            self.termHovered.emit(self.terms[row].term if row >= 0 else "")
            self.update()

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """No bar hovered."""
        if self.hovered != -1:
            self.hovered = -1
            self.termHovered.emit("")
            self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Term name, bar scaled to the largest contribution, and the value."""
        if not self.terms:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = QFontMetrics(self.font())
        label_w = min(max(fm.horizontalAdvance(t.term) for t in self.terms) + 16, self.width() // 3)
        value_w = fm.horizontalAdvance("00.000") + 6
        bar_w = max(10, self.width() - label_w - value_w)
        top = max(float(t.contribution or 0) for t in self.terms) or 1.0
        text = self.palette().color(self.foregroundRole())
        for i, t in enumerate(self.terms):
            y = i * BAR_ROW
            value = float(t.contribution or 0)
            p.setPen(text)
            label = fm.elidedText(t.term, Qt.TextElideMode.ElideRight, label_w - 6)
            p.drawText(QRectF(0, y, label_w - 6, BAR_ROW), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(BAR_HOVER if i == self.hovered else BAR_COLOUR)
            p.drawRoundedRect(QRectF(label_w, y + 4, max(2.0, bar_w * value / top), BAR_ROW - 8), 3, 3)
            p.setPen(text)
            p.drawText(QRectF(self.width() - value_w, y, value_w, BAR_ROW),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{value:.3f}")
        p.end()


def components_text(components: dict) -> str:
    """'dense 0.612 (#1, 45% of the match) · sparse 12.3 (#4, 30%) · …' for the components that ran.

    A component is a number, or a dict {score, rank, fused_part} as app.explain writes it; the
    percentage is its share of the fused score (the shares add up to it), i.e. which signal won.
    """
    fused = components.get("fused")
    total = fused.get("score") if isinstance(fused, dict) else None
    parts: list[str] = []
    for name, value in components.items():
        if name == "fused":
            continue
        rank = share = None
        if isinstance(value, dict):
            rank, share = value.get("rank"), value.get("fused_part")
            value = value.get("score")
        if not isinstance(value, (int, float)):
            continue
        notes = [f"#{rank}"] if rank else []
        if isinstance(share, (int, float)) and isinstance(total, (int, float)) and total > 0 and len(components) > 2:
            notes.append(f"{100 * share / total:.0f}%" + ("" if parts else " of the match"))
        parts.append(f"{name} {value:.3g}" + (f" ({', '.join(notes)})" if notes else ""))
    return " · ".join(parts)


def dense_text(explanation: Explanation | None, passage: str) -> str:
    """'strike → walkout · docks → harbour' for the dense spans, most similar first ("" when none)."""
    spans = [s for s in (explanation.spans if explanation is not None else []) if s.kind == "dense"]
    spans.sort(key=lambda s: -float(s.similarity or 0))
    pairs = []
    for s in spans[:MAX_DENSE_PAIRS]:
        word = passage[s.start:s.end] if 0 <= s.start < s.end <= len(passage) else ""
        pairs.append(f"{s.term} → {word}" if word else s.term)
    return " · ".join(pairs)


def image_words_html(words: list[Term]) -> str:
    """Image words as rich text; words shared with the query are marked (escaped, they come from models)."""
    parts = []
    for w in words[:24]:
        term = esc(w.term)
        if w.shared:
            parts.append(f'<span style="background:#ffe7a3; color:#1f2328; font-weight:600">&nbsp;{term}&nbsp;</span>')
        else:
            parts.append(f'<span>{term}</span>')
    return " ".join(parts)


class ExplainPanel(QWidget):
    """The "why it matched" panel of the detail pane."""

    termHovered = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("explainPanel")
        self.heading = QLabel("Why it matched")
        self.heading.setObjectName("sectionHeading")
        self.placeholder = QLabel("No explanation is available for this result.")
        self.placeholder.setObjectName("dim")
        self.placeholder.setWordWrap(True)
        self.bars = TermBars(self)
        self.bars.termHovered.connect(self.termHovered)
        self.coverage = QLabel()
        self.coverage.setObjectName("dim")
        self.components = QLabel()
        self.components.setObjectName("dim")
        self.components.setTextFormat(Qt.TextFormat.PlainText)
        self.components.setWordWrap(True)
        self.coverage.setWordWrap(True)
        self.dense = QLabel()  # plain text: words come from the file and the query
        self.dense.setObjectName("dim")
        self.dense.setTextFormat(Qt.TextFormat.PlainText)
        self.dense.setWordWrap(True)
        self.image_words_label = QLabel("Image words (shared with the query are marked)")
        self.image_words_label.setObjectName("dim")
        self.image_words = QLabel()
        self.image_words.setWordWrap(True)
        self.image_words.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for w in (self.heading, self.placeholder, self.bars, self.coverage, self.dense, self.components,
                  self.image_words_label, self.image_words):
            layout.addWidget(w)
        self.set_explanation(None)

    def set_explanation(self, explanation: Explanation | None, passage: str = "") -> None:
        """Show ``explanation`` (a result's), or the neutral placeholder for None.

        ``passage`` is the text the spans point into (to name the aligned passage words).
        """
        exp = explanation if explanation is not None else Explanation()
        terms = exp.terms
        words = exp.image_words or []
        components = exp.components
        self.placeholder.setVisible(explanation is None)
        self.bars.set_terms(terms)
        self.bars.setVisible(bool(terms))
        coverage = exp.coverage
        self.coverage.setVisible(isinstance(coverage, (int, float)))
        if isinstance(coverage, (int, float)) and not terms:
            related = ", ".join(t.term for t in exp.expansion or [])
            self.coverage.setText("No word of the passage carries this match" +
                                  (f"; related words the model added: {related}." if related else "."))
        elif isinstance(coverage, (int, float)):
            score = "word-match (BM25)" if exp.score_kind == "bm25" else "vocabulary"
            related = ", ".join(t.term for t in exp.expansion or [])
            also = f" Related words the model added (not in the text): {related}." if related else ""
            self.coverage.setText(f"These words make up {coverage:.0%} of the {score} score. Hover one to see it "
                                  f"in the text.{also}")
        pairs = dense_text(explanation, passage)
        self.dense.setVisible(bool(pairs))
        self.dense.setText(f"Close in meaning (query → passage): {pairs}" if pairs else "")
        self.components.setVisible(bool(components))
        self.components.setText("Scores: " + components_text(components) if components else "")
        self.image_words_label.setVisible(bool(words))
        self.image_words.setVisible(bool(words))
        self.image_words.setText(image_words_html(words))
