"""What keeps the GUI thread short (bench/gui_responsiveness.py --home): the search history written on a worker,
rows kept in display order by the model (no Python sort callbacks), the quick look's document read by the
search process. Real window, real index, no mocks."""

from __future__ import annotations

import threading

from app.search.types import Result
from app.searches import SavedSearch, SearchBook
from app.ui.qt import QListView, Qt
from app.ui.results_model import RESULT_ROLE, ResultsModel, ResultsProxy
from app.ui.window_search import BookWriter
from app.ui.workers import TaskRunner
from tests.ui.conftest import TIMEOUT_MS, long_minutes_hit


def _result(rank: int, title: str, date: str) -> Result:
    return Result(rank=rank, score=1.0 / rank, doc_id=f"d{rank}", path=f"/x/{title}.txt", kind="text", title=title,
                  date=date, snippet="", highlights=[], passage_id=f"d{rank}:0", passage_start=0, passage_end=0,
                  passage_text="")


def test_a_late_older_history_write_never_replaces_a_newer_one(qtbot, tmp_path):
    runner = TaskRunner(max_threads=1)
    book = SearchBook(tmp_path)
    writer = BookWriter(book, runner)
    # Hold the only pool thread, so the background write of the first snapshot waits behind the save below.
    release = threading.Event()
    runner.start(lambda task: release.wait(10), name="hold")
    book.remember(SavedSearch.of("strike at the docks"), persist=False)
    writer.save_later()
    book.remember(SavedSearch.of("quarantine"), persist=False)
    book.save_as("quarantines", book.history[0], persist=False)
    writer.save_now()  # an explicit save writes at once
    release.set()
    assert runner.stop_all(10_000)
    again = SearchBook(tmp_path)
    assert [h.query for h in again.history] == ["quarantine", "strike at the docks"]
    assert list(again.saved) == ["quarantines"]


def test_sorting_keeps_the_selected_result_and_orders_ties_by_rank(qtbot):
    results = [_result(1, "beta", "1916-03-01"), _result(2, "Alpha", ""), _result(3, "alpha", "1916-07-04"),
               _result(4, "gamma", "1916-07-04")]
    model, proxy, view = ResultsModel(), ResultsProxy(), QListView()
    qtbot.addWidget(view)
    proxy.setSourceModel(model)
    view.setModel(proxy)
    model.set_results(list(reversed(results)))  # the engine's order is rank, whatever the list's
    titles = lambda: [proxy.index(i, 0).data(RESULT_ROLE).title for i in range(proxy.rowCount())]  # noqa: E731
    assert titles() == ["beta", "Alpha", "alpha", "gamma"]
    view.setCurrentIndex(proxy.index(2, 0))  # "alpha", rank 3
    proxy.set_mode("date")  # newest first, the tie in rank order, undated last
    assert titles() == ["alpha", "gamma", "beta", "Alpha"] and proxy.mode == "date"
    assert view.currentIndex().data(RESULT_ROLE).rank == 3
    proxy.set_mode("title")  # case-folded A-Z, "Alpha" (rank 2) before "alpha" (rank 3)
    assert titles() == ["Alpha", "alpha", "beta", "gamma"]
    assert view.currentIndex().row() == 1 and view.currentIndex().data(RESULT_ROLE).rank == 3
    model.set_results(results[:2])  # a new list keeps the chosen order
    assert titles() == ["Alpha", "beta"]


def test_quick_look_document_comes_from_the_search_process(qtbot, window, tmp_path):
    from app.ui.preview import PreviewDialog

    hit = long_minutes_hit(qtbot, window, tmp_path)
    window.preview(hit)
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(PreviewDialog)), timeout=TIMEOUT_MS)
    dialog = next(d for d in window.findChildren(PreviewDialog) if d.isVisible())
    # The query's words in the whole document: the early "strike" too, not only the hit's passage.
    assert len(dialog.matches) == 4 and dialog.matches[0][0] < hit.passage_start
    assert dialog.matches[dialog.index][0] >= hit.passage_start  # opened at the hit
    qtbot.keyClick(dialog, Qt.Key.Key_Space)  # closes (and, WA_DeleteOnClose, goes away)
    qtbot.waitUntil(lambda: not any(d.isVisible() for d in window.findChildren(PreviewDialog)), timeout=TIMEOUT_MS)
