"""File hashing, cache manifests and the two errors every model source can raise.

A cached model folder holds ``manifest.json``: the spec id and role, where the files came from,
and each file's sha256 and size. It is written once, when the files enter the cache, and checked
on every load (see ``models.catalog`` for the pinning / trust-on-first-download rule).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.catalog import ModelSpec

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
_CHUNK = 1 << 20

class ModelError(Exception):
    """Base of model resolution errors; ``str()`` is a message for the user."""


class ModelMissing(ModelError):
    """No usable copy of a model; the message says how to get one."""

    def __init__(self, spec: "ModelSpec | None", message: str) -> None:
        super().__init__(message)
        self.spec = spec
        self.message = message


class ModelCorrupt(ModelError):
    """A model file does not match its recorded or pinned sha256 (or is absent from a complete install)."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, streamed in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def verify_files(folder: Path, expected: dict[str, str | None]) -> None:
    """Check that every file in ``expected`` exists under ``folder`` and matches its hash (None: exists)."""
    for name, want in expected.items():
        path = folder / name
        if not path.is_file():
            raise ModelCorrupt(path, f"model file missing: {path}. Re-install the model (lexiscope models download/import).")
        if want is not None:
            got = sha256_file(path)
            if got != want:
                raise ModelCorrupt(
                    path,
                    f"model file {path} is corrupt or was changed: sha256 {got[:12]}… expected {want[:12]}…. "
                    "Delete the model folder and install it again.",
                )


@dataclass
class Manifest:
    """What ``manifest.json`` in a cached model folder records."""

    id: str
    role: str
    source: str  # "download:<repo>@<revision>" | "import:<folder>"
    files: dict[str, str] = field(default_factory=dict)  # name -> sha256
    sizes: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. arch/license/dim of an imported model

    def write(self, folder: Path) -> None:
        """Write atomically to ``folder/manifest.json``."""
        data = {"version": MANIFEST_VERSION, "id": self.id, "role": self.role, "source": self.source,
                "files": self.files, "sizes": self.sizes, "extra": self.extra}
        tmp = folder / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, folder / MANIFEST)

    @classmethod
    def read(cls, folder: Path) -> "Manifest | None":
        """The manifest in ``folder``, or None when absent or unreadable (an incomplete install)."""
        try:
            data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            return cls(id=data["id"], role=data["role"], source=data["source"], files=dict(data["files"]),
                       sizes=dict(data.get("sizes", {})), extra=dict(data.get("extra", {})))
        except (OSError, ValueError, KeyError, TypeError):
            return None


def hash_folder(folder: Path) -> tuple[dict[str, str], dict[str, int]]:
    """sha256 and size of every regular file under ``folder`` (relative posix names), manifest excluded."""
    hashes: dict[str, str] = {}
    sizes: dict[str, int] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name in (MANIFEST, MANIFEST + ".tmp"):
            continue
        name = path.relative_to(folder).as_posix()
        if name.startswith(".cache/"):  # huggingface_hub's local_dir bookkeeping
            continue
        hashes[name] = sha256_file(path)
        sizes[name] = path.stat().st_size
    return hashes, sizes
