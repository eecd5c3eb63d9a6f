"""Pause and Cancel act within seconds even when the indexer is deep inside a batch (issue 14).

The window's indexing process is asked to stop; if it does not reach its next commit within
``STOP_GRACE_S`` it is killed. These tests make the indexer hang at a write boundary (``LEXISCOPE_FAULT=
<boundary>:hang``), so the kill is certain, and check what a kill must leave: a cancelled report, a dead
process, and an index that the next run completes with nothing duplicated or missing.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from app.config import Settings
from app.store import Store
from app.ui.index_process import IndexServer
from tests.integration.test_crash_safety import assert_consistent, assert_search_clean, make_tree, word
from tests.integration.test_two_passes import make_tree as make_log_tree
from tests.integration.test_two_passes import with_model
from tests.fixtures.tiny_models import make_tiny_bert


@pytest.fixture(scope="module")
def tiny_text(tmp_path_factory) -> Path:
    return make_tiny_bert(tmp_path_factory.mktemp("built") / "tiny-text")


def _stop_once_stuck(capfd, boundary: str, err: list) -> callable:
    """A ``should_stop`` that asks for a stop once the indexing process says it hangs at ``boundary``."""
    def should_stop() -> bool:
        err.append(capfd.readouterr().err)  # the child writes to the same fd 2 that capfd captures
        return f"lexiscope fault: {boundary}" in "".join(err)

    return should_stop


@pytest.mark.slow  # two indexing processes start (each imports LanceDB): ~10 s quiet, ~90 s on a busy box
@pytest.mark.parametrize("boundary", ["batch-passages", "batch-documents"])
def test_a_stop_the_indexer_cannot_answer_kills_it_and_the_next_run_completes(home, tmp_path, monkeypatch,
                                                                              capfd, boundary):
    folder = tmp_path / "tree"
    make_tree(folder, range(40))  # two 32-file batches: the hang comes in the first
    monkeypatch.setenv("LEXISCOPE_FAULT", f"{boundary}:hang")  # the spawned process reads it at start
    server = IndexServer()
    err: list = []
    procs: list = []
    try:
        report = server.run([str(folder)], Settings(), use_models=False,
                            on_progress=lambda p: procs.append(server.proc),
                            should_stop=_stop_once_stuck(capfd, boundary, err))
        assert report.cancelled and report.indexed == 0
        assert procs[0].exitcode == -signal.SIGKILL  # killed, not left running beside the next one
        assert server.proc is None  # and the next run gets a fresh process
        assert_search_clean(home, [word(i) for i in (0, 31, 39)])

        monkeypatch.delenv("LEXISCOPE_FAULT")
        again = server.run([str(folder)], Settings(), use_models=False)
        assert not again.cancelled and again.indexed + again.unchanged == 40
    finally:
        server.close()
    assert_consistent(home, folder)


def _children(pid: int) -> set[int]:
    """Live (not zombie) processes whose parent is ``pid`` (Linux /proc)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow  # a tiny model, two indexing processes and their pass-2 workers
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from Linux /proc")
def test_the_window_indexer_runs_pass_two_on_workers_and_a_kill_ends_them(home, tmp_path, tiny_text, monkeypatch,
                                                                          capfd):
    folder = make_log_tree(tmp_path / "tree", 20, sentences=16)  # several pass-2 slices
    settings = with_model(home, tiny_text)
    monkeypatch.setenv("LEXISCOPE_PASS2_WORKERS", "2")  # pass 2 on worker processes, as on a 2-core laptop
    monkeypatch.setenv("LEXISCOPE_FAULT", "enrich-passages:hang")  # stuck after pass 2's first write
    server = IndexServer()
    err: list = []
    procs: list = []
    workers: set[int] = set()
    stuck = _stop_once_stuck(capfd, "enrich-passages", err)

    def should_stop() -> bool:
        if stuck():
            workers.update(_children(procs[0].pid))  # the pool, seen from outside, before the kill
            return True
        return False

    try:
        report = server.run([str(folder)], settings, on_progress=lambda p: procs.append(server.proc),
                            should_stop=should_stop)
        assert report.cancelled and procs[0].exitcode == -signal.SIGKILL
        assert len(workers) >= 2, workers  # the indexing process had started its pass-2 workers ...
        deadline = time.monotonic() + 30
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers), "pass-2 workers outlived the killed indexer"

        monkeypatch.delenv("LEXISCOPE_FAULT")
        again = server.run([str(folder)], settings)  # a fresh process; its workers again
        assert not again.cancelled and again.meaning_pending == 0 and again.enriched > 0
    finally:
        server.close()
    store = Store(home)
    assert store.passages.count_rows("vec_text IS NULL") == 0
    ids = [r["passage_id"] for r in store.passage_rows("true", ["passage_id"])]
    assert len(ids) == len(set(ids)) > 64
