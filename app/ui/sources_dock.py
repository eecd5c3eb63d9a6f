"""The Sources dock: indexed folders with counts, the run's progress and controls, skipped/failed files."""

from __future__ import annotations

from pathlib import Path

from app.ui.index_controller import PAUSED, RUNNING, STOPPING
from app.ui.qt import (
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    Qt,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)
from app.ui.text import tooltip


def _tree(headers: list[str]) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setHeaderLabels(headers)
    tree.setRootIsDecorated(False)
    tree.setUniformRowHeights(True)
    tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    tree.header().setStretchLastSection(False)
    for col in range(1, len(headers)):
        tree.header().setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
    return tree


class SourcesDock(QDockWidget):
    """Folders, progress and problems. All text goes into plain-text items (never rendered as markup)."""

    addRequested = Signal()
    removeRequested = Signal(str)
    pauseRequested = Signal()
    resumeRequested = Signal()
    cancelRequested = Signal()
    watchToggled = Signal(bool)

    def __init__(self, parent=None):
        super().__init__("Sources", parent)
        self.setObjectName("sourcesDock")
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        body = QWidget()
        body.setObjectName("sources")
        self.setWidget(body)

        self.folders = _tree(["Folder", "Indexed", "Skipped", "Failed"])
        self.folders.setMinimumHeight(110)
        self.folders.itemSelectionChanged.connect(self._selection)
        add = QPushButton("Add folder…")
        add.clicked.connect(self.addRequested)
        self.remove = QPushButton("Remove")
        self.remove.setToolTip("Remove the selected folder from the index (the files stay on disk)")
        self.remove.setEnabled(False)
        self.remove.clicked.connect(self._remove)
        self.watch = QCheckBox("Watch for changes")
        self.watch.setToolTip("Re-index a folder a few seconds after files in it change")
        self.watch.toggled.connect(self.watchToggled)
        folder_buttons = QHBoxLayout()
        folder_buttons.addWidget(add)
        folder_buttons.addWidget(self.remove)
        folder_buttons.addStretch()
        folder_buttons.addWidget(self.watch)

        self.status = QLabel("Idle")
        self.status.setObjectName("progressText")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.setTextVisible(False)
        self.pause = QPushButton("Pause")
        self.pause.setToolTip("Stop within a few files; Resume carries on where it stopped")
        self.pause.clicked.connect(self.pauseRequested)
        self.resume = QPushButton("Resume")
        self.resume.clicked.connect(self.resumeRequested)
        self.cancel = QPushButton("Cancel")
        self.cancel.setToolTip("Stop within a few files; what was indexed stays searchable")
        self.cancel.clicked.connect(self.cancelRequested)
        run_buttons = QHBoxLayout()
        run_buttons.addWidget(self.pause)
        run_buttons.addWidget(self.resume)
        run_buttons.addWidget(self.cancel)
        run_buttons.addStretch()

        self.problems_label = QLabel("Skipped and failed files")
        self.problems_label.setObjectName("sectionHeading")
        self.problems = _tree(["File", "State", "Reason"])
        self.problems.header().setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)

        heading = QLabel("Indexed folders")
        heading.setObjectName("sectionHeading")
        run_heading = QLabel("Indexing")
        run_heading.setObjectName("sectionHeading")
        layout = QVBoxLayout(body)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)
        layout.addWidget(heading)
        layout.addWidget(self.folders, 2)
        layout.addLayout(folder_buttons)
        layout.addSpacing(6)
        layout.addWidget(run_heading)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addLayout(run_buttons)
        layout.addSpacing(6)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.problems, 3)
        self.set_state("idle")

    def set_summary(self, sources: list[str], summary: dict | None) -> None:
        """Fill the folder and problem lists from :func:`source_summary` output."""
        roots = (summary or {}).get("roots", {})
        self.folders.clear()
        for folder in sources:
            c = roots.get(folder, {})
            name = Path(folder).name or folder
            item = QTreeWidgetItem([name, str(c.get("indexed", 0)), str(c.get("skipped", 0)), str(c.get("failed", 0))])
            item.setToolTip(0, tooltip(folder))
            item.setData(0, Qt.ItemDataRole.UserRole, folder)
            for col in (1, 2, 3):
                item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.folders.addTopLevelItem(item)
        problems = (summary or {}).get("problems", [])
        self.problems.clear()
        for p in problems:
            item = QTreeWidgetItem([p["path"], p["state"], p["reason"]])
            item.setToolTip(0, tooltip(p["path"]))
            item.setToolTip(2, tooltip(p["reason"]))
            self.problems.addTopLevelItem(item)
        self.problems_label.setText(f"Skipped and failed files ({len(problems)})")

    def set_state(self, state: str) -> None:
        """Show the run buttons that make sense in ``state``: none when no run is going or paused."""
        running = state in (RUNNING, STOPPING)
        # Hidden, not just disabled, when idle: a finished run's Pause and Cancel looked clickable.
        self.pause.setVisible(running)
        self.pause.setEnabled(state == RUNNING)
        self.bar.setVisible(running)
        self.cancel.setVisible(running or state == PAUSED)  # Cancel also drops a paused run
        self.resume.setVisible(state == PAUSED)
        if state == STOPPING:
            self.status.setText("Stopping…")

    def set_progress(self, done: int, total: int) -> None:
        """Determinate with a total, busy (moving) without one."""
        if total <= 0:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, total)
            self.bar.setValue(done)

    def selected_folder(self) -> str:
        """The folder selected in the list ("" for none)."""
        items = self.folders.selectedItems()
        return items[0].data(0, Qt.ItemDataRole.UserRole) if items else ""

    def _selection(self) -> None:
        self.remove.setEnabled(bool(self.selected_folder()))

    def _remove(self) -> None:
        folder = self.selected_folder()
        if folder:
            self.removeRequested.emit(folder)
