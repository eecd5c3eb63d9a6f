"""Derived index files saved as snapshots (the sparse postings, the reprint index).

Each save writes a new folder; a small ``current`` file names the one readers open and is switched
atomically (write beside, then rename), so a reader sees either the old snapshot or the new one, never a
half-written one. A reader holding the older snapshot's files open keeps them (POSIX), so a save never
breaks a search in progress; the older folders are removed after the switch.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path


def new_snapshot(root: Path) -> Path:
    """A new, empty snapshot folder under ``root`` (made, with ``root``, if missing)."""
    root.mkdir(parents=True, exist_ok=True)
    folder = root / uuid.uuid4().hex[:12]
    folder.mkdir()
    return folder


def publish(folder: Path) -> None:
    """Make ``folder`` (written in full) the current snapshot of its parent, then remove the older ones."""
    root, name = folder.parent, folder.name
    tmp = root / f"current.{name}.tmp"
    tmp.write_text(name, encoding="utf-8")
    os.replace(tmp, root / "current")
    for other in root.iterdir():
        if other.is_dir() and other.name != name:
            shutil.rmtree(other, ignore_errors=True)


def current_snapshot(root: Path) -> Path:
    """The current snapshot's folder under ``root``; OSError when there is none."""
    return root / (root / "current").read_text(encoding="utf-8").strip()
