"""Where an index lives: a data folder on this machine (or a shared drive), or a LanceDB URI.

A folder holds ``index/`` (the LanceDB database), ``thumbs/`` and the writer's lock file, as the data root
always has. A URI (``s3://bucket/archive``, ``gs://…``, ``az://…``) holds the same ``index/`` database and
nothing else. ``--index URI`` on the command line (or ``LEXISCOPE_INDEX``) points every command at such a
location; readers open it read-only.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.errors import UserError

# The environment variable the CLI sets from ``--index`` so that child processes (the window's search and
# index workers) open the same location.
ENV = "LEXISCOPE_INDEX"


class ReadOnlyIndex(UserError):
    """A read-only location has no index (nothing is created there)."""


@dataclass(frozen=True)
class IndexLocation:
    """A parsed index location: ``folder`` for a local path, None for an object-store URI."""

    uri: str
    folder: Path | None

    @classmethod
    def parse(cls, value: "str | Path | IndexLocation") -> "IndexLocation":
        """A location from a path, a ``file://`` URL or an object-store URI."""
        if isinstance(value, IndexLocation):
            return value
        text = str(value)
        if text.startswith("file://"):
            text = text[len("file://"):]
        if "://" in text:
            return cls(text.rstrip("/"), None)
        folder = Path(text).expanduser().absolute()
        return cls(str(folder), folder)

    @property
    def db_uri(self) -> str:
        """The LanceDB database inside the location."""
        return str(self.folder / "index") if self.folder else f"{self.uri}/index"

    @property
    def is_remote(self) -> bool:
        """True for an object-store URI (no lock file, no thumbnails)."""
        return self.folder is None

    def table_uri(self, table: str) -> str:
        """The Lance dataset of one table (what distributed writers write fragments into)."""
        return f"{self.db_uri}/{table}.lance"

    def scratch(self) -> Path:
        """A private local folder standing in for ``root`` for a URI location (lock file, caches)."""
        digest = hashlib.blake2b(self.uri.encode(), digest_size=8).hexdigest()
        return Path(tempfile.gettempdir()) / f"lexiscope-{os.getuid() if hasattr(os, 'getuid') else 0}-{digest}"

    def __str__(self) -> str:
        return self.uri


def configured() -> IndexLocation | None:
    """The location ``--index``/``LEXISCOPE_INDEX`` chose, or None for the data root's own index."""
    value = os.environ.get(ENV, "").strip()
    return IndexLocation.parse(value) if value else None
