"""Typed settings with defaults, persisted as JSON under the data root.

The data root comes from platformdirs; ``LEXISCOPE_HOME`` overrides it (tests point it at a
temporary folder, air-gapped users at a shared drive).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs

SETTINGS_VERSION = 1


def data_root() -> Path:
    """Folder that holds the index, thumbnails, model cache and settings."""
    env = os.environ.get("LEXISCOPE_HOME")
    root = Path(env).expanduser() if env else Path(platformdirs.user_data_dir("lexiscope", "Lexiscope"))
    root.mkdir(parents=True, exist_ok=True)
    return root


@dataclass
class Settings:
    """User settings. Unknown keys in the file are ignored; missing keys take defaults."""

    version: int = SETTINGS_VERSION
    # Files larger than this are skipped with a reason rather than read.
    max_file_mb: float = 200.0
    # Passage size for splitting long text, in characters.
    passage_chars: int = 1000
    # Model choices per role (catalog ids, see models.catalog); "" means "use the default".
    text_model: str = ""
    image_model: str = ""
    vocab_model: str = ""
    ner_model: str = ""
    # "auto" picks CUDA, then Apple MPS, then CPU.
    device: str = "auto"
    # Entity types replaced by the mask token when "parallels" search is on.
    mask_entity_types: list[str] = field(default_factory=lambda: ["PER", "ORG", "LOC", "MISC"])
    # Folders the user added (absolute paths), watched for changes when ``watch`` is on.
    sources: list[str] = field(default_factory=list)
    watch: bool = False

    @classmethod
    def load(cls, root: Path | None = None) -> "Settings":
        """Read settings from ``root/settings.json``; defaults where absent or unreadable."""
        path = (root or data_root()) / "settings.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known and k != "version"})

    def save(self, root: Path | None = None) -> None:
        """Write settings atomically to ``root/settings.json``."""
        path = (root or data_root()) / "settings.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(tmp, path)
