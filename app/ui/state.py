"""UI-only state (window geometry, a paused run, sort order) in a small JSON beside settings.json.

Kept apart from :class:`app.config.Settings` because it is the window's business, not the engine's,
and a broken or old file must never stop the app: anything unreadable falls back to defaults.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs

from app.config import data_root

STATE_FILE = "ui-state.json"


@dataclass
class UiState:
    """What the window remembers between runs."""

    geometry: str = ""  # base64 of QWidget.saveGeometry()
    window_state: str = ""  # base64 of QMainWindow.saveState() (docks)
    splitter: str = ""  # base64 of the results/detail splitter state
    sort: str = "relevance"
    paused: list[str] = field(default_factory=list)  # paths of an indexing run the user paused

    @classmethod
    def load(cls, root: Path | None = None) -> "UiState":
        """Read the state; defaults where absent or unreadable."""
        try:
            raw = json.loads(((root or data_root()) / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})

    def save(self, root: Path | None = None) -> None:
        """Write the state atomically."""
        path = (root or data_root()) / STATE_FILE
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(tmp, path)


def data_folder_pointer() -> Path:
    """Where the user's choice of data folder is kept (outside the data folder, so it can move it)."""
    return Path(platformdirs.user_config_dir("lexiscope", "Lexiscope")) / "data-folder.txt"


def apply_data_folder_choice() -> None:
    """Point LEXISCOPE_HOME at the folder chosen in Settings, unless the environment already sets it."""
    if os.environ.get("LEXISCOPE_HOME"):
        return
    try:
        chosen = data_folder_pointer().read_text(encoding="utf-8").strip()
    except OSError:
        return
    if chosen:
        os.environ["LEXISCOPE_HOME"] = chosen


def choose_data_folder(path: str) -> None:
    """Remember ``path`` as the data folder from the next start on."""
    pointer = data_folder_pointer()
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.write_text(path, encoding="utf-8")
