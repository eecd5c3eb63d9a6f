"""A banner for missing models, with the one action that fixes it.

``app.embed.model_status(settings)`` (when present) lists models with ``state`` "ok" or "missing", a
``message`` and a ``fix`` CLI command. When the command is a ``lexiscope`` subcommand that this build
has, the banner runs it (as a child process, so a download never blocks the window); otherwise it
offers to copy the command.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys

from app.ui.qt import QFrame, QGuiApplication, QHBoxLayout, QLabel, QProcess, QProgressBar, QPushButton, Qt, Signal
from app.ui.text import tooltip


def model_status(settings) -> list[dict]:
    """The model status list (runs on a worker: importing the model layer costs time)."""
    from app.embed import model_status as status

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


# What a failed download or import said, and what it means for the user (the first that matches wins).
_CAUSES = (
    (("Name or service not known", "Temporary failure in name resolution", "Failed to establish a new connection",
      "Network is unreachable", "getaddrinfo failed", "nodename nor servname", "ConnectionError", "Max retries"),
     "No network: the model hub could not be reached. Connect to the internet and try again, or copy the model "
     "folder from another computer and use “Import a model folder…”."),
    (("No space left on device", "Errno 28", "Disk quota exceeded"),
     "The disk is full: the download needs about {size}. Free some space and try again."),
    (("Permission denied",), "Lexiscope may not write to its data folder: {line}"),
    (("sha256", "checksum", "does not match"), "The downloaded files are damaged (their checksum differs); try again."),
)
SHORT = {
    "image": "No image model yet: photos are found by name, folder and date, not by what they show.",
    "text": "No text model: search matches words only, not meaning.",
    "vocab": "No vocabulary model: results are explained by their matching words only.",
    "ner": "No entity recogniser: “Find parallels” cannot mask names.",
}
_PERCENT = re.compile(r"(\d{1,3})%\|")


def describe_failure(stderr: str, size: str = "600 MB") -> str:
    """The real reason a model command failed, in words (no network, disk full, …), never just the command."""
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
    last = lines[-1] if lines else "it stopped without saying why"
    for needles, text in _CAUSES:
        if any(n.lower() in stderr.lower() for n in needles):
            return text.format(size=size, line=last)
    return last.removeprefix("lexiscope: ")


def percent_in(output: str) -> int | None:
    """The last progress percentage a tqdm bar printed in ``output`` (None when there is none yet)."""
    found = _PERCENT.findall(output)
    return int(found[-1]) if found else None


class ModelBanner(QFrame):
    """Hidden until a model is missing, and until the user has done something (no banner on a first look)."""

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
        close.clicked.connect(self.dismiss)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # moving until the command prints a percentage (percent_in)
        self.busy.setMaximumWidth(160)
        self.busy.hide()
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(self.cancel_fix)
        self.cancel.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.busy)
        layout.addWidget(self.cancel)
        layout.addWidget(self.action)
        layout.addWidget(close)
        self.fix = ""
        self.process: QProcess | None = None
        self.armed = False  # the window arms it once the user searches or adds a folder
        self.dismissed = False
        self._missing = False
        self._stderr = ""
        self.hide()

    def arm(self) -> None:
        """The user has started: from now on a missing model may be mentioned."""
        self.armed = True
        if self._missing and not self.dismissed:
            self.show()

    def dismiss(self) -> None:
        """Hide for this session."""
        self.dismissed = True
        self.hide()

    def set_status(self, models: list[dict]) -> None:
        """Show the first missing model (and how many more), or hide."""
        missing = [m for m in models if m.get("state") != "ok"]
        self._missing = bool(missing)
        if not missing:
            self.hide()
            return
        first = missing[0]
        more = f" ({len(missing) - 1} more missing)" if len(missing) > 1 else ""
        self.fix = first.get("fix") or ""
        message = first.get("message") or first.get("role", "A model") + " is missing"
        # A sentence a user can act on; the full message (with the commands) is the tooltip.
        short = SHORT.get(first.get("role") or "", "")
        self.text.setText(f"{short or message}{more}")
        self.text.setToolTip(tooltip(message))
        args = _runnable(self.fix)
        self.action.setText("Get it" if args else "Copy the fix command")
        self.action.setToolTip(self.fix)
        self.action.setVisible(bool(self.fix))
        if self.armed and not self.dismissed:
            self.show()

    def _act(self) -> None:
        self.run_fix(self.fix)

    def run_fix(self, fix: str) -> None:
        """Run a model command (download, import) with a progress bar and a Cancel button."""
        self.fix = fix
        self.dismissed = False
        self.show()
        if not _runnable(self.fix):
            QGuiApplication.clipboard().setText(self.fix)
            self.text.setText(f"Copied: {self.fix} — run it in a terminal, then restart Lexiscope.")
            return
        args = resolve_fix(self, self.fix)
        if not args:
            return  # the user cancelled the folder choice
        self.process = QProcess(self)
        self.process.finished.connect(self._done)
        self.process.readyReadStandardError.connect(self._progress)
        self._stderr = ""
        self.action.setEnabled(False)
        self.busy.setRange(0, 0)
        self.busy.show()
        self.cancel.show()
        what = "Downloading the model" if args[:2] == ["models", "download"] else "Importing the model"
        self.text.setText(f"{what}… (this can take a while; Lexiscope stays usable)")
        self.process.start(sys.executable, ["-m", "app.cli", *args])

    def _read_stderr(self) -> str:
        """What the model command wrote to stderr since the last read (it runs while self.process is set)."""
        if self.process is None:
            return ""
        return bytes(self.process.readAllStandardError().data()).decode(errors="replace")

    def _progress(self) -> None:
        self._stderr += self._read_stderr()
        pct = percent_in(self._stderr[-400:])
        if pct is not None:
            self.busy.setRange(0, 100)
            self.busy.setValue(pct)

    def cancel_fix(self) -> None:
        """Stop a running download or import (a partial download is discarded by the command's next run)."""
        if self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning:
            self.cancelled = True
            self.process.kill()

    def _done(self, code: int, _status) -> None:
        self.action.setEnabled(True)
        self.busy.hide()
        self.cancel.hide()
        self._stderr += self._read_stderr()
        if getattr(self, "cancelled", False):
            self.cancelled = False
            self.text.setText("Cancelled. Nothing was installed; “Get it” starts again.")
        elif code == 0:
            self.text.setText("Done. The model is ready.")
            self.fixed.emit()
        else:
            self.text.setText(f"Could not get the model. {describe_failure(self._stderr)}")

    def stop(self) -> None:
        """End a running fix command (on quit)."""
        if self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning:
            self.process.kill()
            self.process.waitForFinished(3000)
