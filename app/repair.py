"""``lexiscope check --repair``: go back to the last good LanceDB version, then re-index what is missing.

Steps, each safe to repeat (a repair killed half-way is finished by running it again):
1. A table whose latest version is damaged goes back to the newest older version that reads completely
   (LanceDB ``restore``: a new version with the old contents, history kept). When the latest manifest
   itself is garbage, LanceDB cannot open the table to restore it, so the manifests newer than the good
   version are moved to ``quarantine/`` under the data root (nothing is deleted) and the good version is
   the latest again. A damaged full-text index over good data is rebuilt instead (nothing rolled back).
   A table with no good version at all is moved to ``quarantine/`` and recreated empty.
2. The two tables may now be from different moments: passages without a document are removed, and
   indexed documents without passages are marked to be read again.
3. The normal indexer runs on the folders the index records (and those in the settings): files added,
   changed or lost since the restored version are read again; with the models the index was built with.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.check import TABLES, CheckReport, Fault, FaultKind, check, manifest_versions, table_uri, verify_table
from app.config import Settings
from app.store import mark_all_for_reading, rebuild_text_index, restore_table_version

TABLE_LEVEL = {FaultKind.UNREADABLE, FaultKind.SCHEMA_VERSION, FaultKind.DATA, FaultKind.FTS, FaultKind.NO_TABLE}


class RepairRefused(Exception):
    """The index has a fault that a repair must not touch (written by a newer Lexiscope)."""


@dataclass
class RepairReport:
    """What the repair did, in words, and the check that followed it."""

    actions: list[str] = field(default_factory=list)
    reindexed: object | None = None  # the IndexReport of the re-index
    after: CheckReport | None = None


def repair(root: Path, settings: Settings | None = None, *, on_note: Callable[[str], None] | None = None,
           reindex: bool = True) -> RepairReport:
    """Repair the index under ``root``; see the module docstring for the steps."""
    root = Path(root)
    settings = settings or Settings.load(root)
    report = RepairReport()

    def say(text: str) -> None:
        report.actions.append(text)
        if on_note:
            on_note(text)

    before = check(root, models=False)
    too_new = [f for f in before.faults if f.kind == FaultKind.TOO_NEW]
    if too_new:
        raise RepairRefused(too_new[0].message)
    quarantine = root / "quarantine" / time.strftime("%Y%m%d-%H%M%S")
    by_table: dict[str, list[Fault]] = {}
    for fault in before.faults:
        if fault.kind in TABLE_LEVEL and fault.table:
            by_table.setdefault(fault.table, []).append(fault)
    for name, faults in by_table.items():
        _repair_table(root, name, faults, quarantine, say)

    from app.store import Store

    store = Store(root)
    with store.lock():
        store.forget_passage_sidecars()
        _reconcile(store, say)
    if reindex:
        roots = _known_roots(store, settings)
        if roots:
            from app.index_run import index_paths

            use_models = bool(store.vector_columns() or store.vocab_model())
            say(f"re-indexing {len(roots)} folder(s) to bring back what the restored version lacks: {', '.join(roots)}")
            report.reindexed = index_paths(roots, settings, root=root, use_models=use_models, on_note=on_note)
        else:
            say("no indexed folder is recorded any more: run `lexiscope index FOLDER` to index your folders again")
    report.after = check(root)
    return report


def _repair_table(root: Path, name: str, faults: list[Fault], quarantine: Path, say) -> None:
    uri = table_uri(root, name)
    if all(f.kind == FaultKind.FTS for f in faults):
        _rebuild_fts(root, say)
        return
    latest = manifest_versions(uri)
    good = None
    for version in latest[1:] if faults[0].kind != FaultKind.NO_TABLE else []:
        found, _info = verify_table(root, name, version)
        if not any(f.kind in TABLE_LEVEL - {FaultKind.FTS} for f in found):
            good = (version, found)
            break
    if good is None:
        if uri.exists():
            _move(uri, quarantine / uri.name)
            say(f"the {name} table had no readable version: moved it to {quarantine} and started it afresh")
        if name == "passages":
            mark_all_for_reading(root)
        return
    version, found = good
    try:
        restore_table_version(root, name, version)
        say(f"restored the {name} table to version {version}, the last one that reads completely "
            f"({faults[0].message})")
    except Exception:  # the latest manifest itself is unreadable: take the newer ones out of the way
        for path in (uri / "_versions").iterdir():
            newer = path.suffix == ".manifest" and _version_of(path) > version
            if newer or path.name == "latest_version_hint.json":
                _move(path, quarantine / uri.name / "_versions" / path.name)
        say(f"the {name} table's newest version file was unreadable: moved the versions after {version} to "
            f"{quarantine}; version {version} is the latest again")
    if any(f.kind == FaultKind.FTS for f in found):
        _rebuild_fts(root, say)


def _version_of(path: Path) -> int:
    n = int(path.stem)
    return 2**64 - 1 - n if n > 2**63 else n


def _move(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(src), str(dst))


def _rebuild_fts(root: Path, say) -> None:
    rebuild_text_index(root)
    say("rebuilt the full-text (word) index of the passages")


def _reconcile(store, say) -> None:
    """Remove passages without a document; mark indexed documents without passages for reading."""
    doc_ids = {r["doc_id"] for r in store.document_rows(["doc_id"])}
    passage_docs = store.documents_with_passages()
    orphans = sorted(passage_docs - doc_ids)
    store.delete_passages_of(orphans)
    if orphans:
        say(f"removed the passages of {len(orphans)} document id(s) that have no document row")
    empty = [r["doc_id"] for r in store.document_rows(["doc_id", "state", "n_passages"])
             if r["state"] == "indexed" and (r["n_passages"] or 0) > 0 and r["doc_id"] not in passage_docs]
    store.mark_for_reading(empty)
    if empty:
        say(f"{len(empty)} document(s) had lost their passages: they will be read again")


def _known_roots(store, settings: Settings) -> list[str]:
    roots = {r["root"] for r in store.document_rows(["root"]) if r["root"]} | set(settings.sources)
    return sorted(r for r in roots if Path(r).exists())


__all__ = ["RepairReport", "RepairRefused", "repair", "TABLES"]
