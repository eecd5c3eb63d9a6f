"""Settings: data folder, models, which names "find parallels" masks, compute device."""

from __future__ import annotations

import os

from app.config import Settings, data_root
from app.ui.banner import _runnable, resolve_fix
from app.ui.qt import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProcess,
    QPushButton,
    Qt,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)
from app.ui.state import choose_data_folder

ENTITY_TYPES = (("PER", "People"), ("ORG", "Organisations"), ("LOC", "Places"), ("MISC", "Other names"))
DEVICES = (("auto", "Automatic"), ("cpu", "CPU"), ("cuda", "NVIDIA GPU (CUDA)"), ("mps", "Apple GPU (MPS)"))


class SettingsDialog(QDialog):
    """Edits a copy of the settings; :meth:`apply` writes them when the user accepts."""

    def __init__(self, settings: Settings, models: list[dict], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Lexiscope settings")
        self.settings = settings
        self.new_data_folder = ""

        # Data folder: moving it means reopening everything, so it takes effect at the next start.
        self.folder = QLabel(str(data_root()))
        self.folder.setTextFormat(Qt.TextFormat.PlainText)
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        change = QPushButton("Change…")
        change.clicked.connect(self._choose_folder)
        self.folder_note = QLabel("Changing the data folder takes effect when Lexiscope restarts.")
        self.folder_note.setObjectName("dim")
        if os.environ.get("LEXISCOPE_HOME"):
            change.setEnabled(False)
            self.folder_note.setText("Set by the LEXISCOPE_HOME environment variable; change that to move it.")
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(change)
        data_box = QGroupBox("Data folder (index, thumbnails, model cache)")
        data_layout = QVBoxLayout(data_box)
        data_layout.addLayout(folder_row)
        data_layout.addWidget(self.folder_note)

        # Models: state from app.embed.model_status; a fix is run when this build has the command.
        self.models = QTreeWidget()
        self.models.setHeaderLabels(["Role", "Model", "State", "Fix"])
        self.models.setRootIsDecorated(False)
        for m in models:
            item = QTreeWidgetItem([str(m.get("role", "")), str(m.get("id", "")), str(m.get("state", "")), str(m.get("fix") or "")])
            item.setToolTip(2, str(m.get("message") or ""))
            self.models.addTopLevelItem(item)
        self.models_note = QLabel("" if models else "No model information in this build: search uses words only.")
        self.models_note.setObjectName("dim")
        self.run_fix = QPushButton("Run the selected fix")
        self.run_fix.setEnabled(False)
        self.run_fix.clicked.connect(self._run_fix)
        self.models.itemSelectionChanged.connect(self._model_selected)
        model_box = QGroupBox("Models")
        model_layout = QVBoxLayout(model_box)
        model_layout.addWidget(self.models)
        model_layout.addWidget(self.models_note)
        model_layout.addWidget(self.run_fix, 0, Qt.AlignmentFlag.AlignLeft)
        self.process: QProcess | None = None

        self.entities = {}
        mask_row = QHBoxLayout()
        for code, label in ENTITY_TYPES:
            box = QCheckBox(label)
            box.setToolTip(code)
            box.setChecked(code in settings.mask_entity_types)
            self.entities[code] = box
            mask_row.addWidget(box)
        mask_row.addStretch()
        self.device = QComboBox()
        for value, label in DEVICES:
            self.device.addItem(label, value)
        self.device.setCurrentIndex(max(0, self.device.findData(settings.device)))
        form = QFormLayout()
        form.addRow("“Find parallels” masks", mask_row)
        form.addRow("Compute device", self.device)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(data_box)
        layout.addWidget(model_box)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(640, 460)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose the data folder", str(data_root()))
        if path:
            self.new_data_folder = path
            self.folder.setText(path)
            self.folder_note.setText("Lexiscope will use this folder after a restart.")

    def _model_selected(self) -> None:
        items = self.models.selectedItems()
        self.run_fix.setEnabled(bool(items and _runnable(items[0].text(3))))

    def _run_fix(self) -> None:
        import sys

        items = self.models.selectedItems()
        args = resolve_fix(self, items[0].text(3)) if items else None
        if not args:
            return
        self.process = QProcess(self)
        self.process.finished.connect(lambda code, _s: self.models_note.setText(
            "Done." if code == 0 else f"The command failed (exit code {code})."))
        self.models_note.setText(f"Running {items[0].text(3)}…")
        self.process.start(sys.executable, ["-m", "app.cli", *args])

    def apply(self) -> Settings:
        """Copy the choices into the settings and save them (and the data folder choice)."""
        self.settings.mask_entity_types = [c for c, box in self.entities.items() if box.isChecked()]
        self.settings.device = self.device.currentData()
        self.settings.save()
        if self.new_data_folder:
            choose_data_folder(self.new_data_folder)
        return self.settings

    def done(self, result: int) -> None:  # noqa: D401 - Qt's name
        """Close; a running fix command is stopped rather than orphaned."""
        if self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning:
            self.process.kill()
            self.process.waitForFinished(3000)
        super().done(result)
