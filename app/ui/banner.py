"""A banner for missing models, with the one action that fixes it.

``app.embed.model_status(settings)`` (when present) lists models with ``state`` "ok" or "missing", a
``message`` and a ``fix`` CLI command. When the command is a ``lexiscope`` subcommand that this build
has, the banner runs it (as a child process, so a download never blocks the window); otherwise it
offers to copy the command.
"""

from __future__ import annotations

import importlib.util
import shlex
import sys

from app.ui.qt import QFrame, QGuiApplication, QHBoxLayout, QLabel, QProcess, QProgressBar, QPushButton, Qt, Signal


def model_status(settings) -> list[dict]:
    """The model status list, or [] when the model layer is not installed (runs on a worker)."""
    try:
        from app.embed import model_status as status
    except ImportError:
        return []
    return list(status(settings))


def _runnable(fix: str) -> list[str] | None:
    """CLI arguments for ``fix`` if it is a lexiscope subcommand available in this build."""
    try:
        parts = shlex.split(fix)
    except ValueError:
        return None
    if len(parts) < 2 or parts[0] != "lexiscope":
        return None
    if importlib.util.find_spec(f"app.commands.{parts[1]}") is None:
        return None
    return parts[1:]


def resolve_fix(parent, fix: str) -> list[str] | None:
    """CLI arguments for ``fix``, asking for the folder where the command says DIR; None if not runnable."""
    args = _runnable(fix)
    if not args or "DIR" not in args:
        return args
    from app.ui.qt import QFileDialog

    folder = QFileDialog.getExistingDirectory(parent, "Choose the folder that holds the model files")
    return [folder if a == "DIR" else a for a in args] if folder else None


class ModelBanner(QFrame):
    """Hidden until a model is missing."""

    fixed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.action = QPushButton()
        self.action.clicked.connect(self._act)
        close = QPushButton("Dismiss")
        close.setFlat(True)
        close.clicked.connect(self.hide)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # a download or import has no reliable length from here: a moving bar
        self.busy.setMaximumWidth(120)
        self.busy.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.busy)
        layout.addWidget(self.action)
        layout.addWidget(close)
        self.fix = ""
        self.process: QProcess | None = None
        self.hide()

    def set_status(self, models: list[dict]) -> None:
        """Show the first missing model (and how many more), or hide."""
        missing = [m for m in models if m.get("state") != "ok"]
        if not missing:
            self.hide()
            return
        first = missing[0]
        more = f" ({len(missing) - 1} more missing)" if len(missing) > 1 else ""
        self.fix = first.get("fix") or ""
        self.text.setText(f"{first.get('message') or first.get('role', 'A model') + ' is missing'}{more}")
        args = _runnable(self.fix)
        self.action.setText("Get it" if args else "Copy the fix command")
        self.action.setToolTip(self.fix)
        self.action.setVisible(bool(self.fix))
        self.show()

    def _act(self) -> None:
        if not _runnable(self.fix):
            QGuiApplication.clipboard().setText(self.fix)
            self.text.setText(f"Copied: {self.fix} — run it in a terminal, then restart Lexiscope.")
            return
        args = resolve_fix(self, self.fix)
        if not args:
            return  # the user cancelled the folder choice
        self.process = QProcess(self)
        self.process.finished.connect(self._done)
        self.action.setEnabled(False)
        self.busy.show()
        self.text.setText(f"Running {self.fix}… (this can take a while)")
        self.process.start(sys.executable, ["-m", "app.cli", *args])

    def _done(self, code: int, _status) -> None:
        self.action.setEnabled(True)
        self.busy.hide()
        if code == 0:
            self.text.setText("Done. The model is ready.")
            self.fixed.emit()
        else:
            err = bytes(self.process.readAllStandardError()).decode(errors="replace").strip().splitlines()
            self.text.setText(f"{self.fix} failed: {err[-1] if err else 'exit code ' + str(code)}")

    def stop(self) -> None:
        """End a running fix command (on quit)."""
        if self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning:
            self.process.kill()
            self.process.waitForFinished(3000)
