"""Typed settings with defaults, persisted as JSON under the data root.

The data root comes from platformdirs; ``LEXISCOPE_HOME`` overrides it (tests point it at a
temporary folder, air-gapped users at a shared drive).
"""

from __future__ import annotations

import json
import os
import stat
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs

SETTINGS_VERSION = 1


# The index holds the text of the user's files: only the user may read it (folders 0700, files 0600).
PRIVATE_DIR_MODE = 0o700
PRIVATE_UMASK = 0o077


def data_root() -> Path:
    """Folder that holds the index, thumbnails, model cache and settings (created private)."""
    env = os.environ.get("LEXISCOPE_HOME")
    root = Path(env).expanduser() if env else Path(platformdirs.user_data_dir("lexiscope", "Lexiscope"))
    make_private(root)
    return root


def make_private(folder: Path) -> bool:
    """Create ``folder`` as 0700, or tighten an existing one (and what it holds) that others could read.

    Returns True when an existing folder was tightened; a one-line note then goes to stderr, because
    the user should know their index was readable by others until now.
    """
    folder = Path(folder)
    if not folder.exists():
        folder.mkdir(parents=True, mode=PRIVATE_DIR_MODE)
        folder.chmod(PRIVATE_DIR_MODE)  # mkdir's mode is masked by the umask; be exact
        return False
    mode = stat.S_IMODE(folder.stat().st_mode)
    if not mode & 0o077:
        return False
    try:
        folder.chmod(PRIVATE_DIR_MODE)
        # Once, when the folder itself was open: files written before this fix were 0644.
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                if not os.path.islink(path):
                    os.chmod(path, stat.S_IMODE(os.stat(path).st_mode) & ~0o077)
    except OSError as exc:  # a folder owned by someone else, a read-only drive: say so, go on
        print(f"lexiscope: note: could not make {folder} private ({exc}); others may read your index.",
              file=sys.stderr)
        return False
    print(f"lexiscope: note: made the data folder {folder} private (it was {mode:04o}; now only you can read "
          "it).", file=sys.stderr)
    return True


def private_writes() -> None:
    """Make every file and folder this process creates private to the user (umask 077).

    Set once at start-up (CLI and window); child processes inherit it. LanceDB writes its files from
    Rust, so a umask is the one place that covers them all.
    """
    os.umask(PRIVATE_UMASK)


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
