"""Kill the indexer at every write boundary (app.faults) on a real LanceDB, then re-run: nothing lost or leaked.

Each case: a tree is indexed, then changed (a file edited, one deleted, new ones added), and a second run
in a child process is killed at one boundary (SIGKILL, as ``kill -9``; or Ctrl-C). The test checks the child
died there, that search in between shows no orphan and no duplicate, and that the next run leaves
0 orphans, 0 duplicate paths, 0 ghosts and every file present.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from app.config import Settings
from app.faults import PASS1
from app.index_run import index_paths
from app.search.engine import Searcher
from app.store import Store

ROOT = Path(__file__).resolve().parents[2]


def word(i: int) -> str:
    """A word found in file ``i`` only (letters: the passage filter wants real words)."""
    return "zq" + "".join("abcdefghij"[int(c)] for c in f"{i:03d}")


def make_tree(folder: Path, ids) -> None:
    folder.mkdir(exist_ok=True)
    for i in ids:
        (folder / f"doc{i:03d}.txt").write_text(f"Report number {word(i)} about harbour trade. " * 30, encoding="utf-8")


def run_child(home: Path, folder: Path, fault: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LEXISCOPE_HOME": str(home), "LEXISCOPE_FAULT": fault, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "app.cli", "index", str(folder), "--lexical-only"], env=env,
                          capture_output=True, text=True, timeout=300)


def assert_consistent(home: Path, folder: Path) -> None:
    """0 orphans, 0 duplicate paths, 0 ghosts, every file present with all its passages."""
    store = Store(home)
    docs = store.document_rows(["doc_id", "path", "parent", "state", "n_passages"])
    ids = {d["doc_id"] for d in docs}
    passages = store.passage_rows("true", ["passage_id", "doc_id", "path"])
    assert [p for p in passages if p["doc_id"] not in ids] == [], "orphan passages"
    assert [p for p, n in Counter(d["path"] for d in docs).items() if n > 1] == [], "duplicate documents"
    assert [p for p, n in Counter(p["passage_id"] for p in passages).items() if n > 1] == [], "duplicate passages"
    assert [d["path"] for d in docs if not Path(d["path"]).exists()] == [], "ghosts of deleted files"
    on_disk = {str(p) for p in folder.iterdir()}
    assert {d["path"] for d in docs if d["state"] == "indexed"} == on_disk, "every file present"
    per_doc = Counter(p["doc_id"] for p in passages)
    assert all(per_doc[d["doc_id"]] == d["n_passages"] for d in docs)
    assert all(p["path"] == next(d["path"] for d in docs if d["doc_id"] == p["doc_id"]) for p in passages)


def assert_search_clean(home: Path, words: list[str]) -> None:
    """Between the kill and the next run, search shows each file at most once, and only indexed ones."""
    store = Store(home)
    known = {d["path"] for d in store.document_rows(["path"])}
    searcher = Searcher(store)
    for w in words:
        paths = [r.path for r in searcher.search(w, k=10).results]
        assert len(paths) == len(set(paths)) and set(paths) <= known, (w, paths)


@pytest.mark.parametrize("fault", [*PASS1, "batch-passages:int"])
def test_killed_at_a_write_boundary_the_next_run_repairs_everything(home, tmp_path, fault):
    folder = tmp_path / "tree"
    make_tree(folder, range(6))
    index_paths([folder], Settings(), use_models=False)
    # Changes that make the second run meet every boundary: an edit, a deletion, 34 new files (2 batches).
    (folder / "doc000.txt").write_text(f"Edited: {word(0)} now speaks of the fisheries. " * 30, encoding="utf-8")
    (folder / "doc001.txt").unlink()
    make_tree(folder, range(100, 134))

    child = run_child(home, folder, fault)
    name, _, how = fault.partition(":")
    assert f"lexiscope fault: {name}" in child.stderr, child.stderr[-2000:]
    if how == "int":
        assert child.returncode != 0 and "Traceback" not in child.stderr
    else:
        assert child.returncode == -signal.SIGKILL
    sample = [0, 2, 100, 120, 133]  # edited, untouched, first batch, second batch, last
    assert_search_clean(home, [word(i) for i in [1, *sample]])

    report = index_paths([folder], Settings(), use_models=False)
    assert not report.cancelled
    assert_consistent(home, folder)
    searcher = Searcher(Store(home))
    for i in sample:
        assert [r.path for r in searcher.search(word(i), k=10).results] == [str(folder / f"doc{i:03d}.txt")]
    assert searcher.search(word(1), k=10).results == []
