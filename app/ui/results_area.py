"""The results area: a welcome page on an empty index, the list, or a "nothing found" note."""

from __future__ import annotations

from app.ui.qt import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QModelIndex,
    QPushButton,
    QStackedWidget,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from app.ui.results_delegate import ResultDelegate
from app.ui.text import esc


class ResultsView(QListView):
    """The list: arrows move, Enter opens with the system app, Space previews."""

    openRequested = Signal(QModelIndex)
    previewRequested = Signal(QModelIndex)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("results")
        self.setItemDelegate(ResultDelegate(self))
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setAlternatingRowColors(True)
        # Rows take the viewport's width (the delegate lays text out to fit); never scroll sideways.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.doubleClicked.connect(self.openRequested)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Enter opens, Space previews; everything else is the list's own navigation."""
        index = self.currentIndex()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and index.isValid():
            self.openRequested.emit(index)
            return
        if event.key() == Qt.Key.Key_Space and index.isValid():
            self.previewRequested.emit(index)
            return
        super().keyPressEvent(event)


class WelcomePage(QWidget):
    """First run: what to do, in one sentence and two buttons."""

    addFolder = Signal()
    trySample = Signal()
    getImageModel = Signal()
    importModel = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("welcome")
        title = QLabel("Drop a folder here")
        title.setObjectName("welcomeTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body = QLabel(
            "Lexiscope indexes your documents, photos and newspaper scans on this computer,\n"
            "then finds them by meaning and shows why each one matched."
        )
        body.setObjectName("welcomeBody")
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        add = QPushButton("Add a folder…")
        add.clicked.connect(self.addFolder)
        sample = QPushButton("Try the sample collection")
        sample.setObjectName("primary")
        sample.clicked.connect(self.trySample)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(sample)
        buttons.addWidget(add)
        buttons.addStretch()
        # The image model is optional (605 MB): offered here, never pushed as a banner on a first look.
        models_note = QLabel("To find photos by what they show, get the image model (about 605 MB), or import "
                             "a model folder copied from another computer.")
        models_note.setObjectName("welcomeBody")
        models_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        models_note.setWordWrap(True)
        self.get_model = QPushButton("Get the image model…")
        self.get_model.clicked.connect(self.getImageModel)
        self.import_model = QPushButton("Import a model folder…")
        self.import_model.clicked.connect(self.importModel)
        model_buttons = QHBoxLayout()
        model_buttons.addStretch()
        model_buttons.addWidget(self.get_model)
        model_buttons.addWidget(self.import_model)
        model_buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addStretch()
        layout.addWidget(title)
        layout.addSpacing(8)
        layout.addWidget(body)
        layout.addSpacing(20)
        layout.addLayout(buttons)
        layout.addSpacing(28)
        layout.addWidget(models_note)
        layout.addLayout(model_buttons)
        layout.addStretch()


class ResultsArea(QStackedWidget):
    """Switches between the welcome page, the result list and a message."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.welcome = WelcomePage(self)
        self.view = ResultsView(self)
        # The list, and under it "Show N more" for the results below the relevance floor (or the next page).
        self.list_page = QWidget(self)
        self.more = QPushButton("Show more")
        self.more.setObjectName("showMore")
        self.more.hide()
        page = QVBoxLayout(self.list_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.setSpacing(0)
        page.addWidget(self.view, 1)
        page.addWidget(self.more)
        self.message = QLabel(self)
        self.message.setObjectName("emptyMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        for w in (self.welcome, self.list_page, self.message):
            self.addWidget(w)

    def show_welcome(self) -> None:
        """The first-run page."""
        self.setCurrentWidget(self.welcome)

    def show_results(self) -> None:
        """The list."""
        self.setCurrentWidget(self.list_page)

    def set_more(self, text: str) -> None:
        """Show the "Show more" button with ``text``, or hide it for ""."""
        self.more.setText(text)
        self.more.setVisible(bool(text))

    def show_message(self, headline: str, detail: str = "") -> None:
        """A centred message (escaped: it may quote the user's query)."""
        text = f"<p style='font-size:13pt'>{esc(headline)}</p>"
        if detail:
            text += f"<p style='color:#656d76'>{esc(detail)}</p>"
        self.message.setText(text)
        self.setCurrentWidget(self.message)

    def is_welcome(self) -> bool:
        """True while the welcome page shows."""
        return self.currentWidget() is self.welcome
