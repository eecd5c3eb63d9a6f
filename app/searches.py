"""Query history and saved searches, persisted (and versioned) beside the settings.

One small JSON file, ``searches.json``: the last HISTORY_MAX searches (newest first, no repeats) and
named saved searches. A search is stored with everything that makes it repeatable: the words, the
filters and the masking toggle. The CLI (``lexiscope search --save NAME``, ``lexiscope saved``) and the
window share this file. An unreadable file is set aside, never fatal; a file from a newer Lexiscope is
read for what this version understands and not overwritten.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from app.config import data_root
from app.search.types import Filters

SEARCHES_FILE = "searches.json"
# Version 1: {"version", "history": [SavedSearch], "saved": {name: SavedSearch}}.
SEARCHES_VERSION = 1
HISTORY_MAX = 50


@dataclass
class SavedSearch:
    """One repeatable search."""

    query: str
    filters: dict = field(default_factory=dict)  # Filters fields (kinds, folder, after, before, extra)
    mask_entities: bool = False
    at: str = ""  # when it was run or saved (ISO, UTC)

    def to_filters(self) -> Filters:
        """The stored filters as a Filters object."""
        f = dict(self.filters)
        f["kinds"] = tuple(f.get("kinds") or ())
        return Filters(**{k: v for k, v in f.items() if k in Filters.__dataclass_fields__})

    def key(self) -> str:
        """What makes two searches the same (for history without repeats)."""
        return json.dumps([self.query.strip().lower(), self.filters, self.mask_entities], sort_keys=True)

    @classmethod
    def of(cls, query: str, filters: Filters | None = None, mask_entities: bool = False) -> "SavedSearch":
        """A search as it is run now."""
        f = asdict(filters or Filters())
        f["kinds"] = list(f.get("kinds") or ())
        return cls(query=query, filters={k: v for k, v in f.items() if v not in ((), [], None, {})},
                   mask_entities=mask_entities, at=datetime.now(timezone.utc).isoformat(timespec="seconds"))


class SearchBook:
    """History and saved searches of one data folder."""

    def __init__(self, root: Path | None = None):
        self.path = (root or data_root()) / SEARCHES_FILE
        self.history: list[SavedSearch] = []
        self.saved: dict[str, SavedSearch] = {}
        self.read_only = False
        self._load()

    def _load(self) -> None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError):
            # A damaged file: keep it for the user to look at, start afresh.
            try:
                self.path.replace(self.path.with_suffix(".json.damaged"))
            except OSError:
                pass
            return
        self.read_only = int(raw.get("version", 0)) > SEARCHES_VERSION
        self.history = [_entry(e) for e in raw.get("history", []) if isinstance(e, dict) and "query" in e]
        self.saved = {str(k): _entry(v) for k, v in (raw.get("saved") or {}).items() if isinstance(v, dict)}

    def to_json(self) -> str | None:
        """The file's text as it stands now; None when the file came from a newer Lexiscope (never written)."""
        if self.read_only:
            return None
        data = {"version": SEARCHES_VERSION, "history": [asdict(h) for h in self.history],
                "saved": {k: asdict(v) for k, v in self.saved.items()}}
        return json.dumps(data, indent=2, ensure_ascii=False)

    def write(self, text: str) -> None:
        """Write ``text`` (from :meth:`to_json`) as the file, atomically.

        Split from :meth:`save` so the window can take the snapshot on its GUI thread and leave the disk
        write to a worker (app.ui.window_search); calls must not overlap (they share the temporary file).
        """
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path)

    def save(self) -> None:
        """Write the file atomically (not when it came from a newer Lexiscope)."""
        text = self.to_json()
        if text is not None:
            self.write(text)

    def remember(self, search: SavedSearch, persist: bool = True) -> None:
        """Put ``search`` at the top of the history (a repeat moves up) and, with ``persist``, save."""
        if not search.query.strip():
            return
        self.history = [search] + [h for h in self.history if h.key() != search.key()]
        del self.history[HISTORY_MAX:]
        if persist:
            self.save()

    def save_as(self, name: str, search: SavedSearch, persist: bool = True) -> None:
        """Save ``search`` under ``name`` (replacing one of that name) and, with ``persist``, write the file."""
        name = name.strip()
        if not name:
            raise ValueError("a saved search needs a name")
        self.saved[name] = search
        if persist:
            self.save()

    def forget(self, name: str) -> bool:
        """Delete the saved search ``name``; True if there was one."""
        found = self.saved.pop(name, None) is not None
        if found:
            self.save()
        return found


def _entry(raw: dict) -> SavedSearch:
    return SavedSearch(query=str(raw.get("query", "")), filters=dict(raw.get("filters") or {}),
                       mask_entities=bool(raw.get("mask_entities")), at=str(raw.get("at", "")))
