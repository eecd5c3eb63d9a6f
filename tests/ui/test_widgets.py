"""Widgets on their own and small window behaviours: explanation panel, image drops, settings, watcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.resources import sample_collection
from app.search.explanation import Explanation
from app.ui.qt import QDropEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from tests.ui.conftest import TIMEOUT_MS, index_and_wait, make_files, search_and_wait

CAT = sample_collection() / "photos" / "chelsea the cat.jpg"


def _drop_on(widget, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    widget.dropEvent(QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier))


def test_explain_panel_bars_hover_and_placeholder(qtbot):
    from app.search.types import Result
    from app.ui.detail_pane import HOVER_STYLE, passage_html
    from app.ui.explain_panel import BAR_ROW, ExplainPanel

    text = "The harbour strike ended; the harbour reopened."
    spans = [{"start": 4, "end": 11, "term": "harbour", "kind": "term"},
             {"start": 12, "end": 18, "term": "strike", "kind": "term"},
             {"start": 30, "end": 37, "term": "harbour", "kind": "term"}]
    explanation = {
        # In app.explain's order: content words by contribution, then a stop word (bigger, still last).
        "terms": [{"term": "harbour", "contribution": 2.5, "query_weight": 1.0, "doc_weight": 2.5},
                  {"term": "strike", "contribution": 1.5, "query_weight": 1.0, "doc_weight": 1.5},
                  {"term": "the", "contribution": 3.0, "query_weight": 1.0, "doc_weight": 3.0}],
        "coverage": 0.8, "spans": spans,
        "components": {"bm25": {"score": 3.2, "rank": 1}, "fused": {"score": 0.03}},
    }
    panel = ExplainPanel()
    qtbot.addWidget(panel)
    panel.resize(400, 300)
    panel.show()
    panel.set_explanation(Explanation.from_json(explanation))
    assert [t.term for t in panel.bars.terms] == ["harbour", "strike", "the"]  # the stop word never leads
    assert "80%" in panel.coverage.text()
    assert "bm25 3.2 (#1)" in panel.components.text()
    assert not panel.placeholder.isVisible()
    with qtbot.waitSignal(panel.termHovered, timeout=TIMEOUT_MS) as hovered:
        qtbot.mouseMove(panel.bars, QPoint(20, int(BAR_ROW * 1.5)))
    assert hovered.args == ["strike"]

    result = Result(rank=1, score=1.0, doc_id="d", path="/x/strike.txt", kind="text", title="Strike", date="",
                    snippet=text, highlights=[], passage_id="d:0", passage_start=0, passage_end=len(text),
                    passage_text=text, explanation=Explanation.from_json(explanation))
    html = passage_html(result, "strike", hovered="harbour")
    assert html.count(HOVER_STYLE[0]) == 2 and f"{HOVER_STYLE[0]}strike" not in html

    panel.set_explanation(None)
    assert panel.placeholder.isVisible() and not panel.bars.isVisible()


def test_image_dropped_on_the_search_field_searches_by_it(qtbot, window, tmp_path):
    with qtbot.waitSignal(window.search_bar.searchRequested, timeout=TIMEOUT_MS) as asked:
        _drop_on(window.search_bar.field, [CAT])
    request = asked.args[0]
    assert request.image == CAT and request.query == ""
    assert window.search_bar.chip.isVisibleTo(window)
    # A folder dropped on the field is added to the index instead.
    folder = make_files(tmp_path / "dropped", 2)
    with qtbot.waitSignal(window.indexer.finished, timeout=TIMEOUT_MS):
        _drop_on(window.search_bar.field, [folder])
    assert str(folder) in window.settings.sources


def test_more_like_this_searches_with_the_passage(qtbot, window, tmp_path):
    index_and_wait(qtbot, window, [make_files(tmp_path / "notes", 4)])
    search_and_wait(qtbot, window, "item2")
    qtbot.waitUntil(lambda: window.detail.result is not None, timeout=TIMEOUT_MS)
    first = window.detail.result
    with qtbot.waitSignal(window.searcher.results, timeout=TIMEOUT_MS) as got:
        window.detail.buttons["more"].click()
    assert got.args[0].query.startswith("Note 2 about the lighthouse")
    assert first.path in [r.path for r in got.args[1].results]


def test_sample_collection_from_the_welcome_page(qtbot, window):
    assert window.results.is_welcome()
    with qtbot.waitSignal(window.indexer.finished, timeout=TIMEOUT_MS) as done:
        window.results.welcome.trySample.emit()
    assert done.args[0].indexed > 0
    qtbot.waitUntil(lambda: not window.results.is_welcome() and window.summary["documents"] > 0, timeout=TIMEOUT_MS)
    assert str(sample_collection()) in window.settings.sources
    qtbot.waitUntil(lambda: str(sample_collection()) in window.summary["roots"], timeout=TIMEOUT_MS)
    # Title records are read as metadata, not "skipped"; the sample's own README/LICENSE are not indexed.
    listed = [p["path"] for p in window.summary["problems"]]
    assert not [p for p in listed if "/titles/" in p], listed
    assert window.summary["roots"][str(sample_collection())].get("metadata", 0) > 0
    from app.session import open_store

    paths = {Path(r["path"]).name for r in open_store().document_rows(["path"])}
    assert "README.md" not in paths and "LICENSE.md" not in paths


def test_settings_dialog_saves_masking_and_device(qtbot, home):
    from app.config import Settings
    from app.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings.load(), [{"role": "image", "id": "clip", "state": "missing", "message": "no",
                                              "fix": "lexiscope models download image clip"}])
    qtbot.addWidget(dialog)
    dialog.entities["PER"].setChecked(False)
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.apply()
    saved = Settings.load()
    assert saved.mask_entity_types == ["ORG", "LOC", "MISC"] and saved.device == "cpu"
    assert dialog.models.topLevelItem(0).text(2) == "missing"
    assert "LEXISCOPE_HOME" in dialog.folder_note.text()  # the environment decides; the dialog says so


def test_model_banner_follows_model_status(qtbot, window):
    from app.ui.banner import model_status

    models = model_status(window.settings)
    qtbot.waitUntil(lambda: window.models == models, timeout=TIMEOUT_MS)
    assert not window.banner.isVisibleTo(window)  # nothing done yet: no banner on a first look
    window.banner.arm()  # what a search or an added folder does
    assert window.banner.isVisibleTo(window) == any(m.get("state") != "ok" for m in models)


@pytest.mark.skipif(not Path("/proc/sys/fs/inotify").exists(), reason="needs inotify for a quick watcher")
def test_watcher_reindexes_a_changed_folder(qtbot, window, tmp_path):
    folder = make_files(tmp_path / "watched", 2)
    index_and_wait(qtbot, window, [folder])
    window.watcher.timer.setInterval(200)
    window.sources.watch.setChecked(True)
    qtbot.waitUntil(lambda: bool(window.watcher.watcher.directories()), timeout=TIMEOUT_MS)
    with qtbot.waitSignal(window.indexer.finished, timeout=TIMEOUT_MS) as done:
        (folder / "new.txt").write_text("A fresh note about semaphores.", encoding="utf-8")
    assert done.args[0].indexed == 1
    assert search_and_wait(qtbot, window, "semaphores").results


def test_rate_meter_words():
    from app.pipeline import Progress
    from app.ui.progress_text import RateMeter

    meter = RateMeter()
    assert meter.describe(Progress("scanning", done=3)) == "Looking for files… 3 found"
    assert meter.describe(Progress("indexing", done=32, total=320), now=100.0) == "32 / 320 files"
    text = meter.describe(Progress("indexing", done=64, total=320), now=102.0)
    assert text == "64 / 320 files · 16.0 files/s · about 16 s left"


def test_pasting_a_picture_searches_by_it(qtbot, window):
    from app.ui.qt import QGuiApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(CAT))])
    QGuiApplication.clipboard().setMimeData(mime)
    try:
        with qtbot.waitSignal(window.search_bar.searchRequested, timeout=TIMEOUT_MS) as asked:
            qtbot.keyClick(window.search_bar.field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    finally:
        # The clipboard owns the mime data; left there, it is freed after QApplication at interpreter
        # exit and the process segfaults (seen in CI with every test passed).
        QGuiApplication.clipboard().clear()
    assert asked.args[0].image == CAT


def test_space_preview_shows_the_picture(qtbot, window):
    from app.ui.preview import PreviewDialog
    from app.ui.qt import QLabel

    index_and_wait(qtbot, window, [CAT.parent])
    with qtbot.waitSignal(window.searcher.results, timeout=TIMEOUT_MS) as got:
        window.search_bar.search_words("chelsea cat")
    result = got.args[1].results[0]
    dialog = PreviewDialog(result, "chelsea cat", window)
    qtbot.addWidget(dialog)
    pixmaps = [label.pixmap() for label in dialog.findChildren(QLabel)]
    assert any(p is not None and not p.isNull() for p in pixmaps)
    dialog.show()
    qtbot.keyClick(dialog, Qt.Key.Key_Space)  # Space closes it again, like Quick Look
    assert not dialog.isVisible()


def test_component_shares_say_which_signal_won():
    from app.ui.explain_panel import components_text

    comps = {"bm25": {"score": 12.3, "rank": 2, "fused_part": 0.5}, "dense": {"score": 0.61, "rank": 1, "fused_part": 1.0},
             "sparse": {"score": None, "rank": None, "fused_part": None}, "fused": {"score": 1.5}}
    assert components_text(comps) == "bm25 12.3 (#2, 33% of the match) · dense 0.61 (#1, 67%)"
    # One component: its share is all of it, so only the rank is worth showing.
    assert components_text({"bm25": {"score": 4.0, "rank": 1, "fused_part": 4.0}, "fused": {"score": 4.0}}) == "bm25 4 (#1)"
