"""Pause and Cancel act within seconds even when the indexer is deep inside a batch (issue 14).

The window's indexing process is asked to stop; if it does not reach its next commit within
``STOP_GRACE_S`` it is killed. These tests make the indexer hang at a write boundary (``LEXISCOPE_FAULT=
<boundary>:hang``), so the kill is certain, and check what a kill must leave: a cancelled report, a dead
process, and an index that the next run completes with nothing duplicated or missing.
"""

from __future__ import annotations

import signal

import pytest

from app.config import Settings
from app.ui.index_process import IndexServer
from tests.integration.test_crash_safety import assert_consistent, assert_search_clean, make_tree, word


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
