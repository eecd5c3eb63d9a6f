"""The researcher's workflow in the window: confirm before Remove, read the match in place, history and
saved searches, the relevance floor, the hit menu and the shortcut list. Real window, real index."""

from __future__ import annotations

from app.search.types import Result
from app.searches import SearchBook
from app.ui.detail_pane import DetailPane
from app.ui.qt import QMessageBox, Qt
from app.ui.workers import TaskRunner
from tests.ui.conftest import TIMEOUT_MS, index_and_wait, long_minutes_hit, make_files, search_and_wait


def test_remove_asks_first(qtbot, window, tmp_path, monkeypatch):
    folder = make_files(tmp_path / "notes", 2)
    index_and_wait(qtbot, window, [folder])
    asked = []

    def answer(reply):
        def question(*args, **kwargs):
            asked.append(args[2])
            return reply
        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Cancel))
    window.remove_folder(str(folder))
    assert str(folder) in window.settings.sources and not window.indexer.busy()
    assert "files on your disk are not touched" in asked[0]
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(window.indexer.removed, timeout=TIMEOUT_MS) as removed:
        window.remove_folder(str(folder))
    assert removed.args == [str(folder), 2] and str(folder) not in window.settings.sources


def test_passage_opens_at_the_first_match_and_steps_through(qtbot):
    text = "\n".join(f"Line {i} of the minutes, nothing to see." for i in range(60))
    text += "\nThe harbour strike began at dawn.\n" + "Filler line.\n" * 20 + "A second strike followed."
    result = Result(rank=1, score=1.0, doc_id="d", path="/x/minutes.txt", kind="text", title="Minutes", date="",
                    snippet="", highlights=[], passage_id="d:0", passage_start=0, passage_end=len(text),
                    passage_text=text)
    pane = DetailPane(TaskRunner())
    qtbot.addWidget(pane)
    pane.resize(500, 600)
    pane.show()
    pane.show_result(result, "strike")
    first = text.index("strike")
    assert pane.matches[0][0] == first and pane.match_index == 0
    assert pane.passage.textCursor().selectionStart() == first
    assert pane.passage.verticalScrollBar().value() > 0  # scrolled down to it, not left at the top
    assert pane.match_label.text() == "Match 1 of 2"
    pane.next_match()
    assert pane.passage.textCursor().selectionStart() == text.rindex("strike")
    pane.next_match()  # wraps round
    assert pane.match_index == 0


def test_history_and_saved_searches_round_trip(qtbot, window, tmp_path):
    index_and_wait(qtbot, window, [make_files(tmp_path / "notes", 3)])
    window.search_bar.kind.setCurrentIndex(window.search_bar.kind.findData("text"))
    search_and_wait(qtbot, window, "lighthouse keeper")
    window.save_search("keepers", window.last_request)
    book = SearchBook()  # what the next start (or `lexiscope saved`) reads
    assert book.history[0].query == "lighthouse keeper" and book.saved["keepers"].filters["kinds"] == ["text"]
    assert [a.text() for a in window.saved_menu.actions()] == ["keepers"]
    assert "lighthouse keeper" in window.search_bar.field.completer().model().stringList()
    # Change the controls, then run the saved search: words and filters come back.
    with qtbot.waitSignal(window.searcher.results, timeout=TIMEOUT_MS):  # a filter change searches again
        window.search_bar.kind.setCurrentIndex(0)
    window.search_bar.field.setText("something else")
    with qtbot.waitSignal(window.searcher.results, timeout=TIMEOUT_MS) as blocker:
        window.saved_menu.actions()[0].trigger()
    assert blocker.args[0].query == "lighthouse keeper" and blocker.args[0].filters.kinds == ("text",)
    assert window.search_bar.field.text() == "lighthouse keeper"


def test_relevance_floor_hit_menu_and_shortcuts(qtbot, window, tmp_path):
    folder = tmp_path / "mixed"
    make_files(folder, 6, word="lighthouse")
    (folder / "best.txt").write_text("Lighthouse keeper lighthouse keeper: the keeper of the lighthouse.",
                                     encoding="utf-8")
    index_and_wait(qtbot, window, [folder])
    response = search_and_wait(qtbot, window, "keeper lighthouse best")
    assert window.proxy.rowCount() == window.shown <= len(response.results)
    if window.shown < len(response.results):
        assert window.results.more.isVisibleTo(window)
        window.show_more()
        assert window.proxy.rowCount() == len(response.results)
    menu = window.build_hit_menu(response.results[0])
    assert [a.text() for a in menu.actions()] == ["Open", "Show in folder", "Copy path", "Quick look",
                                                  "More like this"]
    assert not window.actions_by_name["settings_dialog"].shortcut().isEmpty()  # Ctrl+, where no standard key
    from app.ui.menus import shortcut_rows

    assert ("F3", "Next match in the passage") in shortcut_rows()


def test_facet_sidebar_filters_the_results(qtbot, window):
    from app.resources import sample_collection

    index_and_wait(qtbot, window, [sample_collection() / "newspapers-1916"])
    papers = window.facets.lists["newspaper"]
    qtbot.waitUntil(lambda: papers.count() >= 2, timeout=TIMEOUT_MS)
    everything = search_and_wait(qtbot, window, "city")
    assert len({r.meta.get("newspaper") for r in everything.results}) >= 2
    chosen = papers.item(0).data(Qt.ItemDataRole.UserRole)
    with qtbot.waitSignal(window.searcher.results, timeout=TIMEOUT_MS) as blocker:
        papers.itemClicked.emit(papers.item(0))
    assert blocker.args[1].results and {r.meta.get("newspaper") for r in blocker.args[1].results} == {chosen}
    # Brush the July bar of the date histogram: only July pages (of that paper) remain.
    hist = window.facets.histogram
    july = [i for i, (label, _) in enumerate(hist.buckets) if label == "1916-07"][0]
    with qtbot.waitSignal(window.searcher.results, timeout=TIMEOUT_MS) as blocker:
        window.facets.clear()  # lift the paper first (it may have no July page), then brush
        hist.select(july, july)
    qtbot.waitUntil(lambda: window.last_request.filters.after == "1916-07", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.last_response is not None and window.last_response.filters.after == "1916-07",
                    timeout=TIMEOUT_MS)
    dates = {r.date[:7] for r in window.last_response.results}
    assert dates == {"1916-07"}, dates


def test_dark_scheme_follows_the_system_or_the_override(qtbot, monkeypatch):
    from app.ui.qt import QApplication, QPalette
    from app.ui.style import DARK, apply_scheme, color_scheme, style_sheet

    app = QApplication.instance()
    monkeypatch.setenv("LEXISCOPE_COLOR_SCHEME", "dark")
    assert color_scheme() == "dark"
    before = app.palette()
    try:
        apply_scheme(app, "dark")
        assert app.palette().color(QPalette.ColorRole.Window).name() == DARK["#ffffff"]
        assert app.palette().color(QPalette.ColorRole.Text).name() == DARK["#1f2328"]
        sheet = style_sheet("dark")
        assert "#ffffff" not in sheet and DARK["#ffffff"] in sheet  # every light colour swapped
    finally:
        app.setPalette(before)
        app.setStyleSheet("")
        app.setProperty("lexiscopeScheme", "light")


def test_first_run_page_paths(qtbot, window, tmp_path, monkeypatch):
    from app.ui import window_actions
    from app.ui.banner import describe_failure, percent_in
    from app.ui.qt import QFileDialog

    welcome = window.results.welcome
    assert window.results.is_welcome() and not window.banner.isVisibleTo(window)
    # "Add folder…": the chosen folder is indexed.
    folder = make_files(tmp_path / "first", 2)
    monkeypatch.setattr(window_actions.QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    with qtbot.waitSignal(window.indexer.finished, timeout=TIMEOUT_MS) as done:
        welcome.addFolder.emit()
    assert done.args[0].indexed == 2
    # "Import a model folder…" runs the real import on a folder without a model: a progress bar and a
    # Cancel button while it runs, then the command's own reason in words.
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(empty))
    welcome.import_model.click()
    assert window.banner.isVisibleTo(window) and window.banner.cancel.isVisibleTo(window)
    qtbot.waitUntil(lambda: not window.banner.busy.isVisibleTo(window), timeout=TIMEOUT_MS)
    text = window.banner.text.text()
    assert text.startswith("Could not get the model.") and "lexiscope models import" not in text, text
    # A download's failures, as the download command reports them, read as causes.
    assert describe_failure("requests.exceptions.ConnectionError: ... [Errno -2] Name or service not known")\
        .startswith("No network")
    assert describe_failure("OSError: [Errno 28] No space left on device").startswith("The disk is full")
    assert percent_in("model.safetensors:  42%|####      | 250M/605M") == 42


def test_words_search_answers_while_the_drop_is_still_indexing(qtbot, window, tmp_path, monkeypatch):
    """Pass 1 commits words in small batches: a search finds the first files before the run ends.

    The indexer is made to stop for good once its first batch is written (``LEXISCOPE_FAULT=
    batch-documents:hang``), so "before the run ends" does not depend on how fast this box is: the run cannot
    end until it is cancelled, and the search must find the first batch's files meanwhile.
    """
    folder = make_files(tmp_path / "dropped", 400)
    events: list[str] = []
    window.indexer.finished.connect(lambda report: events.append("finished"))
    window.searcher.results.connect(lambda req, resp, thumbs: events.append("results" if resp.results else "empty"))

    def found() -> bool:
        # Ask (again, while nothing is found) as a user would; an empty answer means no batch was committed yet.
        if "results" in events:
            return True
        if window.indexer.busy() and not window.searcher._running:
            events.append("asked")
            window.search_bar.search_words("lighthouse keeper")
        return False

    monkeypatch.setenv("LEXISCOPE_FAULT", "batch-documents:hang")  # the spawned indexer reads it at start
    try:
        window.add_paths([str(folder)])
        qtbot.waitUntil(found, timeout=TIMEOUT_MS)
        assert window.indexer.busy() and "finished" not in events, events  # the run is still going
        window.indexer.cancel()  # the hung run is stopped (killed after the grace period)
        qtbot.waitUntil(lambda: "finished" in events, timeout=TIMEOUT_MS)
    finally:
        monkeypatch.delenv("LEXISCOPE_FAULT")
    assert events.index("results") < events.index("finished"), events


def test_quick_look_shows_the_whole_document_at_the_hit(qtbot, window, tmp_path):
    from app.ui.preview import PreviewDialog

    hit = long_minutes_hit(qtbot, window, tmp_path)
    assert hit.passage_start > 0  # the hit is a later passage of the document
    dialog = PreviewDialog(hit, "strike")
    qtbot.addWidget(dialog)
    assert len(dialog.matches) == 2  # both strikes, across passages: the whole document is there
    # It opens at the hit's passage (the later strike, next to the lighthouse keeper), not at the top.
    assert dialog.matches[dialog.index][0] >= hit.passage_start
    qtbot.keyClick(dialog, Qt.Key.Key_F3)
    assert dialog.status.text().startswith("Match ")
