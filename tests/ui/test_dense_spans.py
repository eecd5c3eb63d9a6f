"""Dense (MaxSim) spans fetched on selection: the search explains only its top hit that way, the window asks
the search process for the others when one is selected. Real tiny models, real index, real child process.
"""

from __future__ import annotations

import pytest

from app.search.explanation import Explanation
from app.search.types import Result
from app.ui.results_model import RESULT_ROLE
from app.search_service import merge_dense_spans, needs_dense_spans
from tests.fixtures.tiny_models import install_tiny_models
from tests.ui.conftest import TIMEOUT_MS, index_and_wait, make_files, search_and_wait


def _result(kind: str, explanation: dict | None) -> Result:
    return Result(rank=1, score=1.0, doc_id="d", path="/x", kind=kind, title="x", date="", snippet="",
                  highlights=[], passage_id="p", passage_start=0, passage_end=10, passage_text="The harbour strike",
                  explanation=None if explanation is None else Explanation.from_json(explanation))


def test_which_results_need_dense_spans_and_how_they_merge():
    assert needs_dense_spans(_result("text", {"dense_spans": False, "spans": []}))
    assert not needs_dense_spans(_result("text", {"dense_spans": True, "spans": []}))
    assert not needs_dense_spans(_result("image", {"dense_spans": False, "spans": []}))
    assert not needs_dense_spans(_result("text", None))  # words-only search: nothing to add to
    assert not needs_dense_spans(None)
    r = _result("text", {"dense_spans": False, "spans": [{"start": 4, "end": 11, "term": "harbour", "kind": "term"}]})
    merge_dense_spans(r, [{"start": 12, "end": 18, "term": "strike", "kind": "dense", "similarity": 0.9},
                          {"start": 4, "end": 11, "term": "harbour", "kind": "dense", "similarity": 0.8}])
    assert r.explanation.dense_spans is True
    assert [(s.start, s.kind) for s in r.explanation.spans] == [(4, "dense"), (4, "term"), (12, "dense")]


@pytest.fixture
def model_window(qtbot, home, tmp_path):
    """A shown MainWindow whose indexer and search process use tiny text and vocabulary models."""
    from app.ui.window import MainWindow

    install_tiny_models(home, tmp_path / "built", roles=("text", "vocab"))
    win = MainWindow(use_models=True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.summary is not None, timeout=TIMEOUT_MS)
    yield win
    win.close()


def _select(win, row: int) -> Result:
    index = win.proxy.index(row, 0)
    win.results.view.setCurrentIndex(index)
    return index.data(RESULT_ROLE)


def _dense(result: Result) -> list[dict]:
    return [s for s in result.explanation.spans if s.kind == "dense"]


def test_selected_hit_gets_dense_spans_stale_answers_are_dropped(qtbot, model_window, tmp_path):
    win = model_window
    index_and_wait(qtbot, win, [make_files(tmp_path / "notes", 5)])
    response = search_and_wait(qtbot, win, "lighthouse keeper")
    assert "dense" in response.mode and len(response.results) >= 4
    assert [r.explanation.dense_spans for r in response.results][:2] == [True, False]
    qtbot.waitUntil(lambda: win.detail.result is not None, timeout=TIMEOUT_MS)

    # The second hit: asked for on selection, merged and shown when the answer comes.
    second = _select(win, 1)
    before = list(second.explanation.spans)
    assert win.searcher.dense_in_flight()
    qtbot.waitUntil(lambda: second.explanation.dense_spans, timeout=TIMEOUT_MS)
    spans = second.explanation.spans
    assert _dense(second) and all(0 <= s.start < s.end <= len(second.passage_text) for s in spans)
    assert spans == sorted(spans, key=lambda s: (s.start, s.kind))
    assert [s for s in spans if s.kind != "dense"] == before  # the term spans are kept
    panel = win.detail.explain
    assert panel.dense.isVisibleTo(win) and "→" in panel.dense.text()

    # Cached on the result: selecting it again asks for nothing.
    _select(win, 0)
    _select(win, 1)
    assert not win.searcher.dense_in_flight()
    assert panel.dense.isVisibleTo(win)

    # The selection moves on before the answer arrives (the answer can only be delivered once this test
    # yields to the event loop): the third hit's answer is dropped, the fourth's shown.
    third = _select(win, 2)
    fourth = _select(win, 3)
    qtbot.waitUntil(lambda: fourth.explanation.dense_spans, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not win.searcher.dense_in_flight(), timeout=TIMEOUT_MS)
    assert _dense(fourth) and win.detail.result is fourth
    assert third.explanation.dense_spans is False and not _dense(third)


def test_a_failed_alignment_is_a_status_message(qtbot, model_window, tmp_path):
    win = model_window
    index_and_wait(qtbot, win, [make_files(tmp_path / "notes", 3)])
    search_and_wait(qtbot, win, "lighthouse keeper")
    qtbot.waitUntil(lambda: win.detail.result is not None, timeout=TIMEOUT_MS)
    broken = win.proxy.index(1, 0).data(RESULT_ROLE)
    broken.passage_text = None  # the encoder cannot tokenise it: the child raises and keeps serving
    _select(win, 1)
    qtbot.waitUntil(lambda: win.statusBar().currentMessage().startswith("Could not align by meaning"),
                    timeout=TIMEOUT_MS)
    assert broken.explanation.dense_spans is False
    # The search process still answers.
    assert search_and_wait(qtbot, win, "lighthouse").results
