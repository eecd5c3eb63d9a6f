"""The window end to end: real engine, real LanceDB in a temporary data root, no mocks."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from app.ui.qt import QDropEvent, QMimeData, QPointF, Qt, QUrl
from app.ui.results_delegate import item_html
from app.ui.results_model import RESULT_ROLE
from tests.news.fixtures import make_chronam
from tests.ui.conftest import TIMEOUT_MS, index_and_wait, make_files, search_and_wait


def _drop(win, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(40, 40), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    win.dropEvent(event)


def test_welcome_state_on_empty_index(window):
    assert window.results.is_welcome()
    assert "Drop a folder here" in [w.text() for w in window.results.welcome.findChildren(type(window.busy_label))]


def test_dropped_folder_is_indexed_and_findable(qtbot, window, tmp_path):
    folder = tmp_path / "harbour notes"
    folder.mkdir()
    (folder / "strike.txt").write_text("The dockers went on strike at the harbour in 1916.", encoding="utf-8")
    (folder / "weather.md").write_text("# Weather\n\nRain over the harvest fields.", encoding="utf-8")
    with qtbot.waitSignal(window.indexer.finished, timeout=TIMEOUT_MS) as blocker:
        _drop(window, [folder])
    assert blocker.args[0].indexed == 2
    assert str(folder) in window.settings.sources
    qtbot.waitUntil(lambda: window.sources.folders.topLevelItemCount() == 1, timeout=TIMEOUT_MS)

    response = search_and_wait(qtbot, window, "strike harbour")
    assert [Path(r.path).name for r in response.results][:1] == ["strike.txt"]
    assert window.proxy.rowCount() == len(response.results)
    # The first hit is selected and shown in the detail pane, matched words highlighted.
    qtbot.waitUntil(lambda: window.detail.result is not None, timeout=TIMEOUT_MS)
    assert window.detail.path.text() == str(folder / "strike.txt")
    assert "strike</span>" in window.detail.passage_html()
    # Words only still explains: BM25's term contributions, as the passage's own words.
    explain = window.detail.explain
    assert not explain.placeholder.isVisibleTo(window.detail)
    assert {t.term for t in explain.bars.terms} == {"strike", "harbour"}
    assert "BM25" in explain.coverage.text()


def test_finished_run_hides_its_buttons_and_its_counts_match_the_list(qtbot, window, tmp_path):
    """A finished run leaves no Pause/Cancel, and its "N skipped" names the files in the skipped list
    (title records, read for their pages, are neither)."""
    papers = make_chronam(tmp_path)
    (papers / "notes.xyz").write_text("a file of a type Lexiscope does not read", encoding="utf-8")
    dock = window.sources
    assert not dock.pause.isVisibleTo(window) and not dock.cancel.isVisibleTo(window)
    with qtbot.waitSignal(window.indexer.finished, timeout=TIMEOUT_MS) as blocker:
        window.add_paths([str(papers)])
        assert dock.pause.isVisibleTo(window) and dock.cancel.isVisibleTo(window)  # the run is on
    report = blocker.args[0]
    assert report.skipped == 1 and not report.cancelled
    assert not dock.pause.isVisibleTo(window) and not dock.cancel.isVisibleTo(window)
    assert not dock.resume.isVisibleTo(window)
    assert ", 1 skipped," in dock.status.text()
    qtbot.waitUntil(lambda: dock.problems.topLevelItemCount() == 1, timeout=TIMEOUT_MS)
    assert dock.problems.topLevelItem(0).text(0) == str(papers / "notes.xyz")
    assert dock.problems_label.text() == "Skipped and failed files (1)"
    assert dock.folders.topLevelItem(0).text(2) == "1"  # the folder's Skipped column


def test_keyboard_moves_selection_and_sort(qtbot, window, tmp_path):
    index_and_wait(qtbot, window, [make_files(tmp_path / "notes", 5)])
    search_and_wait(qtbot, window, "lighthouse")
    view = window.results.view
    qtbot.waitUntil(lambda: window.detail.result is not None, timeout=TIMEOUT_MS)
    first = window.detail.result.path
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert window.detail.result.path != first
    window.search_bar.sort.setCurrentIndex(window.search_bar.sort.findData("title"))
    titles = [window.proxy.index(i, 0).data(RESULT_ROLE).title for i in range(window.proxy.rowCount())]
    assert titles == sorted(titles, key=str.casefold)


def test_export_writes_the_results(qtbot, window, tmp_path):
    index_and_wait(qtbot, window, [make_files(tmp_path / "notes", 3)])
    response = search_and_wait(qtbot, window, "lighthouse keeper")
    assert response.results
    for fmt in ("csv", "jsonl", "md", "html"):
        out = tmp_path / f"out.{fmt}"
        window.export_to(str(out))
        qtbot.waitUntil(out.exists, timeout=TIMEOUT_MS)
        assert response.results[0].path in out.read_text(encoding="utf-8").replace("\\\\", "\\")


def test_save_dialog_writes_the_format_the_typed_name_says(qtbot, window, tmp_path, monkeypatch):
    from app.ui import window_actions

    index_and_wait(qtbot, window, [make_files(tmp_path / "notes", 3)])
    search_and_wait(qtbot, window, "lighthouse keeper")
    typed = tmp_path / "report.html"
    # The user types "report.html" while the CSV filter is selected (the dialog's default).
    monkeypatch.setattr(window_actions.QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(typed), window_actions.EXPORT_FILTERS["csv"]))
    window.export_dialog()
    qtbot.waitUntil(typed.exists, timeout=TIMEOUT_MS)
    assert typed.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert not (tmp_path / "report.html.csv").exists()


def test_markup_in_names_is_shown_literally(qtbot, window, tmp_path):
    folder = tmp_path / "<b>bold<"
    folder.mkdir()
    odd = folder / "b> & co.txt"
    odd.write_text("Minutes of the <i>harbour</i> board & co. meeting.", encoding="utf-8")
    index_and_wait(qtbot, window, [folder])
    response = search_and_wait(qtbot, window, "harbour board")
    result = response.results[0]
    assert result.path == str(odd)
    html = item_html(result)
    assert "<b>bold" not in html and "<i>" not in html
    assert "&lt;i&gt;" in html and "&amp;" in html
    qtbot.waitUntil(lambda: window.detail.result is not None, timeout=TIMEOUT_MS)
    assert window.detail.path.text() == str(odd)
    assert window.detail.path.textFormat() == Qt.TextFormat.PlainText
    assert window.detail.title.textFormat() == Qt.TextFormat.PlainText
    assert "&lt;i&gt;" in window.detail.passage_html()
    # The passage view shows the characters, not markup.
    assert "<i>harbour</i>" in window.detail.passage.toPlainText()
    assert window.sources.folders.topLevelItem(0).text(0) == folder.name
    assert "&lt;b&gt;bold&lt;" in window.sources.folders.topLevelItem(0).toolTip(0)
    tip = window.proxy.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "&lt;b&gt;bold&lt;" in tip and "<b>" not in tip
    window.results.view.grab()  # paint the delegate with the odd row


def test_cancel_stops_indexing_and_leaves_a_searchable_index(qtbot, window, tmp_path):
    from app.pipeline import BATCH_FILES

    folder = make_files(tmp_path / "many", 300)
    progress = []
    at_click = []

    def on_value(done, total):
        progress.append((done, total))
        if done and total and window.indexer.state == "running":
            at_click.append(done)
            window.sources.cancel.click()

    window.indexer.progressValue.connect(on_value)
    report = index_and_wait(qtbot, window, [folder])
    assert report.cancelled and at_click
    # The stop reaches the indexing process through a queue while it keeps working, so how many files it
    # finishes after the click depends on the machine's speed (on a quiet one, 300 tiny files take 0.2 s).
    # What must hold on any machine: it stops at the next batch boundary, far from the end, and every
    # batch it wrote is whole.
    assert 0 < report.indexed < 300 and report.indexed % BATCH_FILES == 0, (at_click, report.indexed)
    response = search_and_wait(qtbot, window, "lighthouse")
    assert response.results
    assert window.indexer.state == "idle"


def test_pause_is_remembered_and_resume_finishes(qtbot, window, tmp_path):
    from app.ui.state import UiState

    from app.pipeline import BATCH_FILES

    folder = make_files(tmp_path / "many", 300)
    at_click = []

    def on_value(done, total):
        if done and total and window.indexer.state == "running":
            at_click.append(done)
            window.sources.pause.click()

    window.indexer.progressValue.connect(on_value)
    report = index_and_wait(qtbot, window, [folder])
    window.indexer.progressValue.disconnect(on_value)
    assert report.cancelled and at_click
    # Stopped at a batch boundary before the end (see the cancel test for why not a count after the click).
    assert 0 < report.indexed < 300 and report.indexed % BATCH_FILES == 0, (at_click, report.indexed)
    assert window.indexer.state == "paused"
    assert UiState.load().paused == [str(folder)]
    assert window.sources.resume.isVisibleTo(window.sources)
    with qtbot.waitSignal(window.indexer.finished, timeout=TIMEOUT_MS) as blocker:
        window.sources.resume.click()
    assert not blocker.args[0].cancelled
    assert blocker.args[0].indexed + blocker.args[0].unchanged == 300
    assert UiState.load().paused == []


def test_cancel_while_a_pause_is_stopping_wins(qtbot, window, tmp_path):
    from app.ui.state import UiState

    folder = make_files(tmp_path / "many", 200)

    def on_value(done, total):
        if done and total and window.indexer.state == "running":
            window.sources.pause.click()
            assert window.indexer.state == "stopping" and window.sources.cancel.isEnabled()
            window.sources.cancel.click()

    window.indexer.progressValue.connect(on_value)
    report = index_and_wait(qtbot, window, [folder])
    window.indexer.progressValue.disconnect(on_value)
    assert report.cancelled and window.indexer.state == "idle" and UiState.load().paused == []
    assert "resume" not in window.sources.status.text().lower()


def test_image_query_finds_the_picture(qtbot, window):
    from app.resources import sample_collection

    photos = sample_collection() / "photos"
    index_and_wait(qtbot, window, [photos])
    with qtbot.waitSignal(window.searcher.results, timeout=TIMEOUT_MS) as blocker:
        window.search_bar.search_image(str(photos / "chelsea the cat.jpg"))
    response = blocker.args[1]
    assert response.results and response.results[0].kind == "image"
    assert any(Path(r.path).name == "chelsea the cat.jpg" for r in response.results)
    qtbot.waitUntil(lambda: window.detail.image.pixmap() is not None and not window.detail.image.pixmap().isNull(),
                    timeout=TIMEOUT_MS)


def test_remove_folder_forgets_its_files(qtbot, window, tmp_path, monkeypatch):
    from app.ui.qt import QMessageBox

    folder = make_files(tmp_path / "gone", 4)
    index_and_wait(qtbot, window, [folder])
    # Remove asks first (tests/ui/test_workflow.py checks the Cancel path); the user says Yes here.
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(window.indexer.removed, timeout=TIMEOUT_MS) as blocker:
        window.remove_folder(str(folder))
    assert blocker.args[1] == 4
    assert str(folder) not in window.settings.sources
    qtbot.waitUntil(lambda: window.summary["documents"] == 0, timeout=TIMEOUT_MS)


def test_window_closes_cleanly_while_indexing(qtbot, home, tmp_path):
    from app.session import open_store
    from app.ui.window import MainWindow

    win = MainWindow(use_models=False)
    qtbot.addWidget(win)
    win.show()
    folder = make_files(tmp_path / "many", 300)
    win.add_paths([str(folder)])
    qtbot.waitUntil(lambda: win.indexer.state == "running", timeout=TIMEOUT_MS)
    assert win.close()
    assert win.runner.pool.activeThreadCount() == 0
    assert multiprocessing.active_children() == []  # the indexer and search processes are gone
    # The index opens and holds whatever batches finished, each document whole (all its passages); how many
    # finished before the close depends on the machine's speed.
    from collections import Counter

    store = open_store()
    docs = {d["doc_id"]: d["n_passages"] for d in store.document_rows(["doc_id", "n_passages"])}
    per_doc = Counter(r["doc_id"] for r in store.passage_rows("true", ["doc_id"]))
    assert len(docs) <= 300
    assert all(per_doc[doc_id] == n > 0 for doc_id, n in docs.items())


def test_window_remembers_geometry_and_sort(qtbot, home):
    from app.ui.window import MainWindow

    first = MainWindow(use_models=False)
    qtbot.addWidget(first)
    first.show()
    first.resize(1200, 760)
    first.search_bar.sort.setCurrentIndex(first.search_bar.sort.findData("date"))
    qtbot.waitUntil(lambda: first.size().width() == 1200, timeout=TIMEOUT_MS)
    first.close()

    second = MainWindow(use_models=False)
    qtbot.addWidget(second)
    # The offscreen platform's screen is 800 px wide and restoreGeometry() keeps a window on its screen,
    # so only the height comes back unchanged there (both do on a real display).
    assert second.size().height() == 760
    assert second.search_bar.sort.currentData() == "date" and second.proxy.mode == "date"
    second.close()


def test_folders_indexed_from_the_command_line_are_listed(qtbot, home, tmp_path):
    from app.config import Settings
    from app.index_run import index_paths
    from app.ui.window import MainWindow

    folder = make_files(tmp_path / "from the cli", 3)
    index_paths([folder], Settings(), use_models=False)
    win = MainWindow(use_models=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.summary is not None, timeout=TIMEOUT_MS)
    listed = [win.sources.folders.topLevelItem(i) for i in range(win.sources.folders.topLevelItemCount())]
    assert [(item.text(0), item.text(1)) for item in listed] == [("from the cli", "3")]
    assert Settings.load().sources == [str(folder)]
    win.close()
