"""``lexiscope check`` finds each kind of damage the audit made, explains it, and ``--repair`` brings back a
searchable index holding everything the previous version held. Real LanceDB indexes in tmp; the damage is
done to the files on disk (tests/fixtures/corrupt.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.check import FaultKind, check
from app.cli import main
from app.config import Settings
from app.index_run import index_paths
from app.store import Store
from tests.fixtures import corrupt
from tests.fixtures.no_pylance import block_pylance

WORDS = ["albatross", "bramble", "cormorant", "dandelion", "egret", "foxglove"]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[Path, Path]:
    """An index built in two runs (so older versions exist, as on a user's machine)."""
    base = tmp_path_factory.mktemp("check")
    docs, home = base / "docs", base / "home"
    docs.mkdir()
    home.mkdir(mode=0o700)
    for word in WORDS[:5]:
        (docs / f"{word}.txt").write_text(f"A field note about the {word}, seen near the harbour.\n", encoding="utf-8")
    index_paths([docs], Settings(), root=home, use_models=False)
    (docs / f"{WORDS[5]}.txt").write_text(f"A later note: the {WORDS[5]} flowered in June.\n", encoding="utf-8")
    index_paths([docs], Settings(), root=home, use_models=False)
    return home, docs


@pytest.fixture
def home(pristine, tmp_path, monkeypatch) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(pristine[0], copy)
    monkeypatch.setenv("LEXISCOPE_HOME", str(copy))
    return copy


def _without_pylance(monkeypatch) -> None:
    """Check and repair run on lancedb alone, as in the packaged app (`import lance` fails); the damage
    itself is done with pylance (tests/fixtures/corrupt.py), an independent reader of the same files."""
    block_pylance(monkeypatch)


def _everything_searchable(home: Path, docs: Path) -> None:
    store = Store(home)
    rows = store.document_rows(["path", "state", "n_passages", "doc_id"])
    assert sorted(Path(r["path"]).name for r in rows) == sorted(f"{w}.txt" for w in WORDS)
    assert all(r["state"] == "indexed" for r in rows)
    with_passages = {r["doc_id"] for r in store.passage_rows("ordinal >= 0", ["doc_id"])}
    assert with_passages == {r["doc_id"] for r in rows}
    from app.session import make_searcher

    searcher = make_searcher(store, Settings())
    for word in WORDS:
        hits = searcher.search(word).results
        assert hits and Path(hits[0].path).name == f"{word}.txt", word


DAMAGE = {
    "truncated data file": (lambda h: corrupt.truncate_data_file(h, "passages"), FaultKind.DATA),
    "garbage manifest": (lambda h: corrupt.garbage_manifest(h, "documents"), FaultKind.UNREADABLE),
    "damaged passages data": (lambda h: corrupt.damage_data_file(h, "passages"), FaultKind.DATA),
    "damaged documents data": (lambda h: corrupt.damage_data_file(h, "documents"), FaultKind.DATA),
    "damaged FTS index": (corrupt.damage_fts_index, FaultKind.FTS),
    "non-integer schema_version": (lambda h: corrupt.non_integer_schema_version(h, "documents"),
                                   FaultKind.SCHEMA_VERSION),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_check_detects_and_repair_restores(damage, home, pristine, capsys, monkeypatch):
    do, kind = DAMAGE[damage]
    assert check(home).ok
    do(home)
    _without_pylance(monkeypatch)
    report = check(home)
    assert [f.kind for f in report.faults][:1] == [kind], report.faults
    assert all(f.message and "Traceback" not in f.message for f in report.faults)

    # search, status and an index run that would write stop with words and the way out, not a traceback
    # (a run with nothing to do is decided before the index is opened, and writes nothing).
    changed = home.parent / "changed"
    changed.mkdir()
    (changed / "new.txt").write_text("A new note.\n", encoding="utf-8")
    # A search that touches no damaged file may still answer (LanceDB reads only the fragments it needs);
    # one that does must stop with the message. Every word is tried; none may give a traceback.
    codes = [main(["search", word]) for word in WORDS]
    err = capsys.readouterr().err
    assert set(codes) <= {0, 3} and 3 in codes, codes
    assert "lexiscope check --repair" in err and "Traceback" not in err, err
    for argv in (["status"], ["index", str(changed), "--lexical-only"]):
        assert main(argv) == 3, argv
        err = capsys.readouterr().err
        assert "lexiscope check --repair" in err and "Traceback" not in err, err
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "problem:" in out and "--repair" in out

    assert main(["check", "--repair"]) == 0, capsys.readouterr()
    assert "no problems remain" in capsys.readouterr().out
    _everything_searchable(home, pristine[1])
    assert main(["check"]) == 0


def test_orphans_and_lost_passages_are_found_and_fixed(home, pristine, capsys, monkeypatch):
    _without_pylance(monkeypatch)
    store = Store(home)
    victim = store.document_rows(["doc_id"], where="path LIKE '%egret%'")[0]["doc_id"]
    store.passages.delete(f"doc_id = '{victim}'")
    store.documents.delete("path LIKE '%bramble%'")  # its passages are now orphans
    kinds = {f.kind for f in check(home).faults}
    assert kinds == {FaultKind.ORPHANS, FaultKind.NO_PASSAGES}
    assert main(["check", "--repair"]) == 0
    _everything_searchable(home, pristine[1])


def test_every_data_file_damaged_goes_back_to_the_empty_version_and_reads_all_again(home, pristine, capsys, monkeypatch):
    _without_pylance(monkeypatch)
    for data in (home / "index" / "passages.lance" / "data").iterdir():
        data.write_bytes(b"junk" * 16)
    assert check(home).faults[0].kind == FaultKind.DATA
    assert main(["check", "--repair"]) == 0
    _everything_searchable(home, pristine[1])


def test_a_table_with_no_readable_version_is_started_afresh(home, pristine, capsys, monkeypatch):
    _without_pylance(monkeypatch)
    # Every manifest garbage: nothing to go back to; the table is moved aside and the files read again.
    for manifest in (home / "index" / "passages.lance" / "_versions").glob("*.manifest"):
        manifest.write_bytes(b"junk" * 16)
    assert check(home).faults[0].kind == FaultKind.UNREADABLE
    assert main(["check", "--repair"]) == 0
    assert "no readable version" in capsys.readouterr().err
    _everything_searchable(home, pristine[1])
    assert list((home / "quarantine").rglob("*.manifest"))  # moved aside, not deleted


def test_healthy_and_empty_indexes_pass(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LEXISCOPE_HOME", str(tmp_path / "fresh"))
    assert main(["check"]) == 0
    assert "nothing indexed yet" in capsys.readouterr().out
