"""Space on a result: a larger look at the picture, or the whole document with every match marked.

The document opens at the hit's passage; F3 / Shift+F3 (or N / P) step through the matches in the whole
document; Space or Escape closes it.
"""

from __future__ import annotations

from app.search.snippets import match_spans, query_stems
from app.ui.detail_pane import _match_style, load_image
from app.ui.qt import QDialog, QLabel, QPixmap, Qt, QTextBrowser, QTextCursor, QVBoxLayout
from app.ui.search_process import document_text_in
from app.ui.text import highlight

PREVIEW_PX = 900


def document_text(result, store=None) -> tuple[str, int]:
    """The document's text put back together from its passages, and where the hit's passage starts in it.

    ``store``: an open Store (the search process passes its own); None opens one here. Falls back to the
    passage alone when the index cannot be read (a concurrent re-index).
    """
    return document_text_in(store, result)


class PreviewDialog(QDialog):
    """A quick look at one result."""

    def __init__(self, result, query: str, parent=None, document: tuple[str, int] | None = None):
        """``document``: the text and passage start already read (by the search process, off the GUI
        thread, as the window does); None reads it here."""
        super().__init__(parent)
        self.setWindowTitle(result.title or result.path)
        self.matches: list[tuple[int, int]] = []
        self.index = -1
        layout = QVBoxLayout(self)
        if result.kind == "image":
            label = QLabel()
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            # One image, decoded at preview size: quick enough for a dialog the user asked for.
            image = load_image(result.path, PREVIEW_PX)
            if image is not None:
                label.setPixmap(QPixmap.fromImage(image))
            else:
                label.setText("This image cannot be shown.")
            layout.addWidget(label)
            return
        text, at = document if document is not None else document_text(result)
        self.matches = match_spans(text, query_stems(query)) if query else []
        self.view = QTextBrowser()
        self.view.setHtml(f'<div style="line-height:140%">{highlight(text, self.matches, *_match_style())}</div>')
        self.status = QLabel()
        self.status.setObjectName("dim")
        layout.addWidget(self.view)
        layout.addWidget(self.status)
        self.resize(760, 560)
        # Open at the hit's passage: its first match, or the passage itself when it has none.
        first = next((i for i, (s, _) in enumerate(self.matches) if s >= at), None)
        if first is not None:
            self.index = first - 1
            self.step(+1)
        else:
            self._show(at, at)

    def step(self, direction: int) -> None:
        """Go to the next (+1) or previous (-1) match in the document, wrapping round."""
        if not self.matches:
            return
        self.index = (self.index + direction) % len(self.matches)
        self._show(*self.matches[self.index])

    def _show(self, start: int, end: int) -> None:
        doc_len = self.view.document().characterCount() - 1
        cursor = QTextCursor(self.view.document())
        cursor.setPosition(min(start, doc_len))
        cursor.setPosition(min(end, doc_len), QTextCursor.MoveMode.KeepAnchor)
        self.view.setTextCursor(cursor)
        self.view.ensureCursorVisible()
        n = len(self.matches)
        self.status.setText(f"Match {self.index + 1} of {n} in the document · F3 / Shift+F3 to move · Space closes"
                            if n else "No words of the query in this document · Space closes")

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Space closes, like Quick Look; F3 / N next match, Shift+F3 / P previous."""
        key, shift = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if key == Qt.Key.Key_Space:
            self.accept()
            return
        if self.matches and key in (Qt.Key.Key_F3, Qt.Key.Key_N, Qt.Key.Key_P):
            self.step(-1 if (key == Qt.Key.Key_P or (key == Qt.Key.Key_F3 and shift)) else +1)
            return
        super().keyPressEvent(event)
