"""``lexiscope check``: verify the index on disk and say in words what is wrong.

What is checked, per LanceDB table (``documents``, ``passages``): that its latest version opens, that
``schema_version`` is a whole number this app can read, that every fragment's every column reads back,
and that the full-text index answers a query. Across tables: passages whose document is gone (orphans)
and indexed documents whose passages are gone. And the models the index was built with: installed, and
matching their recorded hashes.

LanceDB keeps every version of a table until it is cleaned up (``optimize`` keeps a week), so damage to
the newest files almost always leaves an older version that reads fine: :mod:`app.repair` goes back to
it and re-indexes what is missing. No Qt here; the CLI and the window's banner both use this module.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from app.lance_files import (
    ManifestError,
    fragments,
    manifest_files,
    read_manifest,
    whole,
)

TABLES = ("documents", "passages")
REPAIR_HINT = "Run `lexiscope check --repair` to go back to the last good version and re-index what is missing."


class FaultKind(Enum):
    """What is wrong; the message says it in words."""

    NO_TABLE = "missing table"
    UNREADABLE = "table does not open"
    TOO_NEW = "written by a newer Lexiscope"
    SCHEMA_VERSION = "bad schema_version"
    DATA = "damaged data"
    FTS = "damaged full-text index"
    ORPHANS = "passages without a document"
    NO_PASSAGES = "documents without passages"
    MODEL = "model missing or damaged"


# Faults that restoring an older version (or re-indexing) fixes; a newer index or a broken model needs
# the user (update Lexiscope; reinstall the model).
REPAIRABLE = {FaultKind.NO_TABLE, FaultKind.UNREADABLE, FaultKind.SCHEMA_VERSION, FaultKind.DATA, FaultKind.FTS,
              FaultKind.ORPHANS, FaultKind.NO_PASSAGES}


@dataclass(frozen=True)
class Fault:
    """One problem found, explained for a user."""

    kind: FaultKind
    table: str | None
    message: str

    @property
    def repairable(self) -> bool:
        """True when ``lexiscope check --repair`` can fix it."""
        return self.kind in REPAIRABLE


@dataclass
class CheckReport:
    """What ``check`` found: faults (empty when healthy) and facts about each readable table."""

    root: Path
    faults: list[Fault] = field(default_factory=list)
    tables: dict[str, dict] = field(default_factory=dict)  # name -> {"version", "rows"}

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.faults


def table_uri(root: Path, name: str) -> Path:
    """The folder of a LanceDB table under the data root."""
    return Path(root) / "index" / f"{name}.lance"


def manifest_versions(uri: Path) -> list[int]:
    """The version numbers a table's manifest files name, newest first (read from file names only, so a
    garbage manifest does not hide the others)."""
    return sorted(manifest_files(uri), reverse=True)


@contextlib.contextmanager
def open_version(uri: Path, version: int | None = None) -> Iterator:
    """The LanceDB table in folder ``uri`` at ``version`` (default: the latest).

    LanceDB always reads the latest manifest first, even to open an older version, so when the latest is
    garbage an older version cannot be opened in place. Then the older version is opened through a
    private shadow folder holding copies of the manifests up to ``version`` and links to the data and index
    folders: read-only for the real table (repair decides what to move, after the check)."""
    from app.lazy_import import import_lancedb

    lancedb = import_lancedb()  # every index run starts here: without pandas (app.lazy_import)

    uri = Path(uri)
    name = uri.name[: -len(".lance")]
    try:
        table = lancedb.connect(uri.parent).open_table(name, version=version)
    except Exception:
        if version is None:
            raise
        table = None
    if table is not None:
        yield table
        return
    assert version is not None  # the latest version (None) was opened above or raised
    # Under the data root (private, same disk), not in index/ where it could look like a table.
    with tempfile.TemporaryDirectory(prefix="check-", dir=uri.parent.parent) as tmp:
        shadow = Path(tmp) / uri.name
        (shadow / "_versions").mkdir(parents=True)
        for v, path in manifest_files(uri).items():
            if v <= version:
                shutil.copy2(path, shadow / "_versions" / path.name)
        for sub in ("data", "_indices", "_deletions", "_transactions"):
            if (uri / sub).is_dir():
                try:
                    os.symlink(uri / sub, shadow / sub, target_is_directory=True)
                except OSError:  # Windows without the symlink privilege: copy (slow, but a repair is rare)
                    shutil.copytree(uri / sub, shadow / sub)
        yield lancedb.connect(tmp).open_table(name, version=version)


def _short(exc: BaseException) -> str:
    """An exception as one readable line (Rust source locations and backtraces dropped)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = re.sub(r",\s*/\S+\.rs:\d+:\d+", "", text)
    return text[:300]


def _schema_fault(name: str, metadata: dict | None) -> Fault | None:
    from app.store import SCHEMA_VERSION

    raw = (metadata or {}).get(b"schema_version", b"0")
    try:
        found = int(raw)
    except ValueError:
        return Fault(FaultKind.SCHEMA_VERSION, name, f"the {name} table records schema_version "
                     f"{raw.decode(errors='replace')!r}, which is not a whole number (the table's metadata was "
                     "changed by something other than Lexiscope, or damaged)")
    if found > SCHEMA_VERSION:
        return Fault(FaultKind.TOO_NEW, name, f"the {name} table was written by a newer Lexiscope (schema v{found}; "
                     f"this app reads up to v{SCHEMA_VERSION}): update Lexiscope")
    return None


def verify_table(root: Path, name: str, version: int | None = None) -> tuple[list[Fault], dict]:
    """Faults of one table at ``version`` (default: the latest), and {"version", "rows"} when it opened."""
    uri = table_uri(root, name)
    if not uri.is_dir():
        return [Fault(FaultKind.NO_TABLE, name, f"the {name} table is missing ({uri})")], {}
    with contextlib.ExitStack() as stack:
        try:
            table = stack.enter_context(open_version(uri, version))
            schema = table.schema
        except Exception as exc:  # a garbage or truncated manifest: lance says which file
            return [Fault(FaultKind.UNREADABLE, name, f"the {name} table does not open: its version file is "
                          f"damaged ({_short(exc)})")], {}
        info = {"version": table.version, "rows": None}
        faults = []
        bad = _schema_fault(name, schema.metadata)
        if bad is not None:
            faults.append(bad)
        try:
            rows = 0
            # Every column of every row: a damaged page anywhere in any data file fails the read.
            for batch in table.search().limit(None).to_batches(4096):
                rows += batch.num_rows
            info["rows"] = rows
        except Exception as exc:
            faults.append(Fault(FaultKind.DATA, name, f"the {name} table's {_data_files_named(uri, table.version)} "
                                f"does not read back ({_short(exc)})"))
        if name == "passages" and not any(f.kind == FaultKind.DATA for f in faults):
            fts = _fts_fault(table)
            if fts is not None:
                faults.append(fts)
        return faults, info


def _data_files_named(uri: Path, version: int) -> str:
    """The data files of ``version`` that are cut short or overwritten, in words (LanceDB's read error does
    not name the file)."""
    try:
        files = [f for frag in fragments(manifest_files(uri)[version]) for f in frag.files]
    except (KeyError, OSError, ManifestError):
        return "data"
    broken = [f for f in files if not whole(uri / "data" / f)]
    if broken:
        return ("data file " if len(broken) == 1 else "data files ") + ", ".join(broken)
    return f"data (one of its {len(files)} data files)"


def _fts_fault(table) -> Fault | None:
    """Query the full-text index with a word from the table itself; a fault when that fails."""
    try:
        indices = [i for i in table.list_indices() if str(i.index_type).upper() in ("INVERTED", "FTS")]
    except Exception as exc:
        return Fault(FaultKind.FTS, "passages", f"the full-text index cannot be listed ({_short(exc)})")
    if not indices:
        return None
    word = "the"
    try:
        first = table.search().select(["text"]).limit(1).to_arrow().column("text").to_pylist()
        found = re.findall(r"[A-Za-z]{3,}", first[0] or "") if first else []
        word = found[0] if found else word
        table.search(word, query_type="fts").select(["doc_id"]).limit(1).to_arrow()
    except Exception as exc:
        return Fault(FaultKind.FTS, "passages", f"the full-text (word) index does not answer a query "
                     f"({_short(exc)})")
    return None


def _columns(root: Path, name: str, columns: list[str]):
    """Some columns of every row of a table's latest version, as an Arrow table."""
    with open_version(table_uri(root, name)) as table:
        return table.search().select(columns).limit(None).to_arrow()


def _consistency(root: Path) -> list[Fault]:
    """Orphan passages and indexed documents without passages (both tables read fine)."""
    docs = _columns(root, "documents", ["doc_id", "state", "n_passages"])
    passage_docs = set(_columns(root, "passages", ["doc_id"]).column("doc_id").to_pylist())
    ids = set(docs.column("doc_id").to_pylist())
    faults = []
    orphans = passage_docs - ids
    if orphans:
        faults.append(Fault(FaultKind.ORPHANS, "passages", f"{len(orphans)} document id(s) have passages but no "
                            "document row (a run stopped between its writes); search could show them twice or "
                            "after their file was deleted"))
    empty = [d for d, s, n in zip(docs.column("doc_id").to_pylist(), docs.column("state").to_pylist(),
                                  docs.column("n_passages").to_pylist())
             if s == "indexed" and (n or 0) > 0 and d not in passage_docs]
    if empty:
        faults.append(Fault(FaultKind.NO_PASSAGES, "documents", f"{len(empty)} indexed document(s) have no passages: "
                            "they cannot be found until they are read again"))
    return faults


def index_models(root: Path) -> list[tuple[str, str]]:
    """(role, model id) of every model the passages table records (dense columns and vocabulary)."""
    import json

    with open_version(table_uri(root, "passages")) as table:
        meta = table.schema.metadata or {}
    roles = {"vec_text": "text", "vec_clip": "image"}
    out = []
    for name, _dim, model_id in json.loads(meta.get(b"vectors", b"[]")):
        out.append((roles.get(name, "text"), model_id))
    vocab = meta.get(b"vocab_model", b"").decode()
    if vocab:
        out.append(("vocab", vocab))
    return out


def model_faults(root: Path, models: list[tuple[str, str]]) -> list[Fault]:
    """A fault per recorded model that is not installed or fails its hash check, with the fix."""
    from models.resolve import installed_spec, resolve
    from models.verify import ModelError

    cache = Path(root) / "models"
    faults = []
    for role, model_id in models:
        try:
            spec = installed_spec(cache, role, model_id)
        except KeyError:
            folder = cache / role / model_id
            why = ("its manifest.json is missing or damaged" if folder.is_dir() else "it is not installed")
            faults.append(Fault(FaultKind.MODEL, None, f"the {role} model '{model_id}' this index was built with "
                                f"cannot be used: {why}. Import it again (`lexiscope models import {role} DIR "
                                f"--id {model_id}`), or choose another model and re-index"))
            continue
        try:
            resolve(spec, cache)
        except ModelError as exc:
            # ModelMissing / ModelCorrupt messages already say how to get or reinstall the model.
            faults.append(Fault(FaultKind.MODEL, None, f"the {role} model '{model_id}' this index was built with "
                                f"cannot be used: {exc}"))
    return faults


def check(root: Path, *, models: bool = True) -> CheckReport:
    """Verify the index under ``root`` (the data root); ``models`` also hash-checks the index's models."""
    os.environ.setdefault("LANCEDB_LOG", "error")
    report = CheckReport(Path(root))
    if not (Path(root) / "index").is_dir():
        return report  # nothing indexed yet is not a fault
    readable = []
    for name in TABLES:
        faults, info = verify_table(root, name)
        report.faults += faults
        if info:
            report.tables[name] = info
        if not faults:
            readable.append(name)
    if len(readable) == len(TABLES):
        report.faults += _consistency(root)
    if models and "passages" in readable:
        report.faults += model_faults(root, index_models(root))
    return report


def quick_faults(root: Path) -> list[Fault]:
    """Cheap structural checks, for the start of every index run and of the window: each table's latest
    version file parses, its schema_version is readable, and every data and index file it uses is whole
    (its footer magic is there). Reads the version file and a few bytes per file, so an index run still costs
    what changed, not the whole collection; and imports no lancedb, so the window shows without waiting
    for it (app/lance_files.py)."""
    if not (Path(root) / "index").is_dir():
        return []
    faults = []
    for name in TABLES:
        uri = table_uri(root, name)
        if not uri.is_dir():
            continue
        versions = manifest_files(uri)
        try:
            if not versions:
                raise ManifestError("no version file")
            manifest = read_manifest(versions[max(versions)])
        except (OSError, ManifestError) as exc:
            faults.append(Fault(FaultKind.UNREADABLE, name, f"the {name} table does not open: its version file is "
                                f"damaged ({_short(exc)})"))
            continue
        bad = _schema_fault(name, manifest.metadata)
        if bad is not None:
            faults.append(bad)
        for path in (uri / "data" / f for frag in manifest.fragments for f in frag.files):
            if not whole(path):
                faults.append(Fault(FaultKind.DATA, name, f"the {name} table's data file {path.name} is truncated, "
                                    "damaged or missing"))
        for ix in manifest.indices if name == "passages" else []:
            folder = uri / "_indices" / ix.uuid
            parts = list(folder.glob("*.lance")) if folder.is_dir() else []
            if not parts or not all(whole(p) for p in parts):
                faults.append(Fault(FaultKind.FTS if ix.full_text else FaultKind.DATA, name,
                                    f"the index '{ix.name}' of the {name} table is damaged or missing"))
    return faults


def diagnose(root: Path) -> Fault | None:
    """The first fault of the index's tables (models not hashed): what the CLI and the window say when
    opening or searching the index failed unexpectedly."""
    try:
        report = check(root, models=False)
    except Exception:  # the checker itself must never turn a clear error into a second traceback
        return None
    table_faults = [f for f in report.faults if f.kind not in (FaultKind.ORPHANS, FaultKind.NO_PASSAGES)]
    return table_faults[0] if table_faults else None
