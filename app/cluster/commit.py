"""The driver's side of a cluster run: plan what to do, clear half-written work, commit what workers wrote.

Workers write passage fragments; only this module makes them visible (Store.append_passage_fragments: one
Lance transaction per commit), and then upserts the matching document rows. Passages become visible before
their documents, so a driver killed between the two leaves passages whose file still looks new: the next
run's :func:`clear_unfinished` deletes them before the file is indexed again. No duplicates, nothing missing.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.cluster.stages import stable_doc_id
from app.ingest.scan import scan
from app.store import Store


@dataclass
class Plan:
    """What a run must do: files to (re)index, and documents whose files vanished."""

    todo: list[dict] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # ids of indexed files whose (mtime, size) changed
    vanished: list[str] = field(default_factory=list)
    seen: int = 0
    unchanged: int = 0
    problems: list[dict] = field(default_factory=list)


def plan(store: Store, roots: list[Path], *, with_meaning: bool = False) -> Plan:
    """Scan ``roots`` and compare with the index on (mtime, size), as the local indexer does.

    ``with_meaning``: an unchanged file whose passages lack meaning for the index's models (words only so
    far, or the models changed) is redone too: a cluster re-reads it rather than run a second pass.
    """
    out = Plan()
    lacking: set[str] = set()
    if with_meaning and store.passage_count():
        lacking = {d.split("/", 1)[0] for d in store.documents_lacking_meaning()}
    found: list[tuple[Path, str]] = []
    for top in roots:
        if not top.exists():
            out.problems.append({"path": str(top), "state": "failed", "reason": "folder not found"})
            continue
        found.extend((p, str(top)) for p in scan([top]))
    known = {r["path"]: r for r in store.file_documents(["doc_id", "path", "mtime", "size"])}
    seen = {str(p) for p, _ in found}
    prefixes = tuple(str(r) + os.sep for r in roots) + tuple(str(r) for r in roots if r.is_file())
    out.vanished = [r["doc_id"] for p, r in known.items() if p.startswith(prefixes) and p not in seen]
    for path, root in found:
        try:
            st = path.stat()
        except OSError as exc:
            out.problems.append({"path": str(path), "state": "failed", "reason": str(exc)})
            continue
        old = known.get(str(path))
        if old and old["mtime"] == st.st_mtime and old["size"] == st.st_size and old["doc_id"] not in lacking:
            out.unchanged += 1
            continue
        doc_id = old["doc_id"] if old else stable_doc_id(str(path))
        if old:
            out.changed.append(doc_id)
        out.todo.append({"path": str(path), "root": root, "doc_id": doc_id})
    out.seen = len(found)
    return out


def clear_unfinished(store: Store, changed: list[str]) -> int:
    """Delete what no finished document owns (the store's orphan sweep: a run killed between a passages
    commit and its documents commit), and the passages and records of changed files about to be redone."""
    swept = store.sweep_orphans()
    for i in range(0, len(changed), 500):
        chunk = changed[i : i + 500]
        store.delete_children(chunk)
        store.delete_passages_of(chunk)
    return swept


class Committer:
    """Collects what write tasks hand back and commits it every ``every_s`` seconds (and at the end)."""

    def __init__(self, store: Store, every_s: float = 10.0):
        self.store = store
        self.every_s = every_s
        self.fragments: list[dict] = []
        self.docs: list[dict] = []
        self.committed: set[str] = set()
        self.pending: set[str] = set()
        self.problems: list[dict] = []
        self.indexed = self.passages = self.commits = 0
        self._last = time.monotonic()

    def add(self, row: dict) -> None:
        """Take one write task's output; commit when the interval has passed."""
        ids = json.loads(row["doc_ids"])
        if any(i in self.committed or i in self.pending for i in ids):
            # Ray re-ran a finished task (lineage reconstruction): its files are already in; skip the copy.
            return
        self.pending.update(ids)
        self.fragments.extend(json.loads(row["fragments"]))
        docs = json.loads(row["docs"])
        self.docs.extend(docs)
        self.problems.extend(json.loads(row["problems"]))
        self.indexed += sum(1 for d in docs if d["state"] == "indexed" and not d["parent"])
        self.passages += int(row["passages"])
        if time.monotonic() - self._last >= self.every_s:
            self.commit()

    def commit(self) -> None:
        """Make the collected fragments visible (one transaction), then upsert their documents."""
        if self.fragments:
            self.store.append_passage_fragments(self.fragments)
        if self.docs:
            self.store.upsert_documents(self.docs)
        self.committed |= self.pending
        self.pending.clear()
        self.fragments, self.docs = [], []
        self.commits += 1
        self._last = time.monotonic()
