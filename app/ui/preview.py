"""Space on a result: a larger look at the picture or the passage, closed by Space or Escape."""

from __future__ import annotations

from app.ui.detail_pane import load_image, passage_html
from app.ui.qt import QDialog, QLabel, QPixmap, Qt, QTextBrowser, QVBoxLayout

PREVIEW_PX = 900


class PreviewDialog(QDialog):
    """A quick look at one result."""

    def __init__(self, result, query: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(result.title or result.path)
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
        else:
            view = QTextBrowser()
            view.setHtml(passage_html(result, query))
            layout.addWidget(view)
            self.resize(720, 520)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Space closes, like Quick Look."""
        if event.key() == Qt.Key.Key_Space:
            self.accept()
            return
        super().keyPressEvent(event)
