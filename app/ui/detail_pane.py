"""The selected hit: image or passage (matched words highlighted), metadata, actions, explanation."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from app.search.snippets import match_spans, query_stems
from app.search.types import Result
from app.ui.explain_panel import ExplainPanel
from app.ui.qt import (
    QDesktopServices,
    QFrame,
    QGuiApplication,
    QHBoxLayout,
    QImageReader,
    QLabel,
    QPixmap,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSize,
    Qt,
    QTextBrowser,
    QTextCursor,
    QUrl,
    QVBoxLayout,
    QWidget,
    Signal,
)
from app.search_service import merge_dense_spans
from app.search.snippets import merge_spans
from app.ui.text import display_title, esc, highlight
from app.ui.workers import TaskRunner

IMAGE_PX = 900
IMAGE_MAX_H = 420
MATCH_STYLE = ('<span style="background:#fff1b8; color:#1f2328; font-weight:600">', "</span>")
# Dark scheme: a deep amber behind light text (app.ui.style.highlight_colours).
MATCH_STYLE_DARK = ('<span style="background:#6b5a1e; color:#fff6d5; font-weight:600">', "</span>")
HOVER_STYLE = ('<span style="background:#f6c177; color:#1f2328; font-weight:600">', "</span>")


def _match_style() -> tuple[str, str]:
    from app.ui.style import highlight_colours

    return MATCH_STYLE_DARK if highlight_colours()[0] != "#fff1b8" else MATCH_STYLE


def load_image(path: str, px: int = IMAGE_PX):
    """Read an image scaled down while decoding (cheap for big photos); runs on a worker."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > px:
        reader.setScaledSize(size.scaled(QSize(px, px), Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    return None if image.isNull() else image


@lru_cache(maxsize=4096)
def _stems(words: str) -> frozenset[str]:
    """query_stems, remembered: every explanation term of a shown hit is stemmed again on each render."""
    return frozenset(query_stems(words))


def warm_up() -> None:
    """Load what showing the first hit needs, on a worker at start-up: the stemmer would otherwise be
    imported on the GUI thread when the first answer shows."""
    match_spans("warming up the stemmer", set(_stems("warming")))


def match_positions(result, query: str) -> list[tuple[int, int]]:
    """The highlighted matches of ``result``'s passage, in reading order (what next/previous match visit)."""
    text = result.passage_text or result.snippet or ""
    spans = match_spans(text, set(_stems(query))) if query else []
    terms = [(s.start, s.end) for s in _spans(result) if s.kind == "term" and _stems(s.term)]
    return merge_spans(spans + terms)


def _spans(result) -> list:
    """The explanation's spans of ``result`` (none without an explanation)."""
    return result.explanation.spans if result.explanation is not None else []


def passage_html(result, query: str, hovered: str = "") -> str:
    """The passage with query matches highlighted, and the hovered explanation term's spans stronger."""
    text = result.passage_text or result.snippet or ""
    spans = match_spans(text, set(_stems(query))) if query else []
    hover = [(s.start, s.end) for s in _spans(result) if hovered and s.term == hovered]
    if hover:
        # Hovered term in a stronger colour; other matches stay as they were.
        body = highlight(text, hover, *HOVER_STYLE)
    else:
        # Exact term matches join the query-word highlights; dense alignments show only on hover.
        # Stop words ("of", "the") are counted in the score but would speckle the text: not highlighted.
        terms = [(s.start, s.end) for s in _spans(result) if s.kind == "term" and _stems(s.term)]
        body = highlight(text, spans + terms, *_match_style())
    return f'<div style="line-height:140%">{body}</div>'


def meta_html(result) -> str:
    """Metadata rows as rich text (every value escaped)."""
    rows = [("Kind", result.kind), ("Date", result.date or "unknown")]
    meta = result.meta or {}
    for key, label in (("newspaper", "Newspaper"), ("place", "Place"), ("camera", "Camera"), ("date_source", "Date from")):
        if meta.get(key):
            rows.append((label, meta[key]))
    if result.kind != "image" and result.passage_end:
        rows.append(("Passage", f"characters {result.passage_start:,}–{result.passage_end:,} of the document"))
    rows.append(("Score", f"{result.score:.4g}"))
    cells = "".join(f"<tr><td style='color:#656d76; padding-right:10px'>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def open_or_explain(parent, path: str) -> bool:
    """Open ``path`` with the system's application; a visible message when that fails.

    ``QDesktopServices.openUrl`` returns False when no application is registered for the file type (or
    the file is gone); silently doing nothing is the worst answer, so the user is told what to do.
    """
    if not Path(path).exists():
        problem = f"{path} is no longer there (moved or deleted since it was indexed)."
    elif QDesktopServices.openUrl(QUrl.fromLocalFile(path)):
        return True
    else:
        problem = (f"No application is set up to open {Path(path).name}.\n\nUse “Show in folder” or “Copy path”, "
                   "or choose a default application for this file type in your system settings.")
    from app.ui.qt import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Warning, "Cannot open the file", problem, QMessageBox.StandardButton.Ok,
                      parent)
    box.setTextFormat(Qt.TextFormat.PlainText)  # a file name is never markup
    box.open()  # window-modal, does not block the event loop
    return False


class DetailPane(QScrollArea):
    """Shows one result; asks the window to search again for "more like this"."""

    moreLikeThis = Signal(object)  # the Result

    def __init__(self, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.result: Result | None = None
        self.query = ""
        self._image_request = 0
        self._image = None
        self.setWidgetResizable(True)
        # Everything wraps to the pane's width; a sideways scroll bar would hide the bars' values.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        body.setObjectName("detail")
        self.setWidget(body)
        self.title = QLabel()
        self.title.setObjectName("detailTitle")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)  # a file name is never markup
        self.path = QLabel()
        self.path.setObjectName("dim")
        self.path.setWordWrap(True)
        self.path.setTextFormat(Qt.TextFormat.PlainText)
        self.path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumHeight(120)
        # The pixmap must not set the pane's minimum width: resizeEvent refits it instead.
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.passage = QTextBrowser()
        self.passage.setObjectName("passage")
        self.passage.setOpenLinks(False)
        self.passage.setMinimumHeight(160)
        self.meta = QLabel()
        self.meta.setTextFormat(Qt.TextFormat.RichText)
        self.explain = ExplainPanel(self)
        self.explain.termHovered.connect(self._on_term_hovered)
        # Matches in the passage: the box opens at the first; F3 / Shift+F3 (window actions) step through.
        self.matches: list[tuple[int, int]] = []
        self.match_index = -1
        self.match_label = QLabel()
        self.match_label.setObjectName("dim")
        self.prev_button = QPushButton("▲")
        self.next_button = QPushButton("▼")
        for b, tip, slot in ((self.prev_button, "Previous match (Shift+F3)", self.previous_match),
                             (self.next_button, "Next match (F3)", self.next_match)):
            b.setToolTip(tip)
            b.setMaximumWidth(32)
            b.clicked.connect(slot)

        actions = QHBoxLayout()
        actions.setSpacing(4)
        self.buttons = {}
        for key, label, slot in (("open", "Open", self.open_file), ("reveal", "Show in folder", self.reveal),
                                 ("copy", "Copy path", self.copy_path), ("more", "More like this", self._more)):
            b = QPushButton(label)
            b.clicked.connect(slot)
            actions.addWidget(b)
            self.buttons[key] = b
        actions.addStretch()
        match_row = QHBoxLayout()
        match_row.addWidget(self.match_label)
        match_row.addStretch()
        match_row.addWidget(self.prev_button)
        match_row.addWidget(self.next_button)

        layout = QVBoxLayout(body)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(8)
        for w in (self.title, self.path):
            layout.addWidget(w)
        layout.addLayout(actions)
        layout.addWidget(self.image)
        layout.addLayout(match_row)
        layout.addWidget(self.passage, 1)
        layout.addWidget(self.meta)
        layout.addWidget(self.explain)
        layout.addStretch()
        self.show_result(None)

    def show_result(self, result, query: str = "") -> None:
        """Show ``result`` (None clears the pane)."""
        self.result, self.query = result, query
        has = result is not None
        for w in (self.path, self.passage, self.meta, self.explain, self.image, self.match_label, self.prev_button,
                  self.next_button):
            w.setVisible(has)
        for b in self.buttons.values():
            b.setVisible(has)
        # The empty state reads as a hint, not a heading (style sheet: QLabel#detailTitle[empty="true"]).
        self.title.setProperty("empty", not has)
        self.title.style().unpolish(self.title)
        self.title.style().polish(self.title)
        if not has:
            self.title.setText("Select a result to see it here, with why it matched.")
            return
        self.title.setText(display_title(result))
        self.path.setText(result.path)
        self.meta.setText(meta_html(result))
        self.explain.set_explanation(result.explanation, result.passage_text or "")
        is_image = result.kind == "image"
        self.image.setVisible(is_image)
        self.passage.setVisible(not is_image or bool(result.explanation))
        # For a picture the "passage" is only its name words: a short box is enough.
        self.passage.setMinimumHeight(60 if is_image else 160)
        self.passage.setMaximumHeight(90 if is_image else 16777215)
        self.passage.setHtml(passage_html(result, query))
        self.matches = [] if is_image else match_positions(result, query)
        self.match_index = -1
        self._update_match_row()
        if self.matches:
            self.next_match()  # open at the first match, not at the top
        if is_image:
            self._image = None
            self.image.setText("Loading image…")
            self._load_image(result.path)

    def _update_match_row(self) -> None:
        n = len(self.matches)
        for w in (self.match_label, self.prev_button, self.next_button):
            w.setVisible(n > 0)
        self.prev_button.setEnabled(n > 1)
        self.next_button.setEnabled(n > 1)
        if n:
            self.match_label.setText(f"Match {self.match_index + 1} of {n}" if self.match_index >= 0 else f"{n} matches")

    def next_match(self) -> None:
        """Scroll the passage to the next highlighted match (wrapping round)."""
        self._go_to_match(+1)

    def previous_match(self) -> None:
        """Scroll the passage to the previous highlighted match (wrapping round)."""
        self._go_to_match(-1)

    def _go_to_match(self, step: int) -> None:
        if not self.matches:
            return
        self.match_index = (self.match_index + step) % len(self.matches)
        start, end = self.matches[self.match_index]
        # The passage view's characters are the passage's (newlines become one line separator each),
        # so a text offset is a document position.
        doc_len = self.passage.document().characterCount() - 1
        cursor = QTextCursor(self.passage.document())
        cursor.setPosition(min(start, doc_len))
        cursor.setPosition(min(end, doc_len), QTextCursor.MoveMode.KeepAnchor)
        self.passage.setTextCursor(cursor)
        self.passage.ensureCursorVisible()
        self._update_match_row()

    def _load_image(self, path: str) -> None:
        # Decoding a large photo can take longer than a frame: do it on the pool, drop stale answers.
        self._image_request += 1
        request = self._image_request

        def done(image):
            if request == self._image_request and image is not None:
                self._image = image
                self._fit_image()
            elif request == self._image_request:
                self.image.setText("This image cannot be shown.")

        self.runner.start(lambda task: load_image(path), name="image", done=done)

    def _fit_image(self) -> None:
        """Scale the loaded picture to the pane's width (never up, never taller than IMAGE_MAX_H)."""
        if self._image is None:
            return
        width = max(120, self.viewport().width() - 40)
        pix = QPixmap.fromImage(self._image)
        if pix.width() > width or pix.height() > IMAGE_MAX_H:
            pix = pix.scaled(width, IMAGE_MAX_H, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
        self.image.setPixmap(pix)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Refit the picture to the new width."""
        super().resizeEvent(event)
        if self.result is not None and self.result.kind == "image":
            self._fit_image()

    def add_dense_spans(self, result: Result | None, spans: list[dict]) -> None:
        """Merge fetched dense spans into ``result``'s explanation and show them, if it is still shown.

        Merged into the result itself, so selecting it again needs no new request.
        """
        if result is None or result is not self.result:
            return  # stale: the selection moved on, or a new search replaced the list
        merge_dense_spans(result, spans)
        # Only the explanation and the passage change: no reload of the rest of the pane.
        self.explain.set_explanation(result.explanation, result.passage_text or "")
        self._refresh_passage()

    def _on_term_hovered(self, term: str) -> None:
        if self.result is not None:
            self._refresh_passage(term)

    def _refresh_passage(self, hovered: str = "") -> None:
        """Re-render the passage keeping the reader's place (setHtml would jump back to the top)."""
        bar = self.passage.verticalScrollBar()
        where = bar.value()
        self.passage.setHtml(passage_html(self.result, self.query, hovered))
        bar.setValue(where)

    def passage_html(self) -> str:
        """The passage view's current HTML (for tests and previews)."""
        return passage_html(self.result, self.query) if self.result else ""

    def open_file(self) -> None:
        """Open the file with the system's application; say so when there is none."""
        if self.result:
            open_or_explain(self, self.result.path)

    def reveal(self) -> None:
        """Open the folder that holds the file."""
        if self.result:
            open_or_explain(self, str(Path(self.result.path).parent))

    def copy_path(self) -> None:
        """Put the file's path on the clipboard."""
        if self.result:
            QGuiApplication.clipboard().setText(self.result.path)

    def _more(self) -> None:
        if self.result:
            self.moreLikeThis.emit(self.result)
