"""UI fixtures: a real window on a fresh data root, words-only models so indexing is quick."""

from __future__ import annotations

from pathlib import Path

import pytest

# The offscreen platform cannot pass window size hints on and says so on every dock/layout change;
# the message is about the test platform, not the app, so it is ignored here (and only here).
OFFSCREEN_NOISE = r"This plugin does not support propagateSizeHints"

TIMEOUT_MS = 90_000


def pytest_collection_modifyitems(items):
    """Ignore the offscreen platform's size-hint warning in every UI test."""
    for item in items:
        if "tests/ui/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture
def window(qtbot, home: Path):
    """A shown MainWindow over an empty index (words-only search: the same workers, no model load)."""
    from app.ui.window import MainWindow

    win = MainWindow(use_models=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.summary is not None, timeout=TIMEOUT_MS)
    yield win
    win.close()


def make_files(folder: Path, n: int, word: str = "lighthouse") -> Path:
    """``n`` small text files, each findable by ``word`` and its own number word."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"note-{i:03d}.txt").write_text(f"Note {i} about the {word} keeper.\nitem{i}\n", encoding="utf-8")
    return folder


def long_minutes_hit(qtbot, win, tmp_path: Path):
    """Index a 60-paragraph document with "strike" early and late, search it, and return the best hit (the late
    passage, which also names the lighthouse keeper): for the quick-look tests."""
    folder = tmp_path / "long"
    folder.mkdir()
    paragraphs = [f"Paragraph {i}: the minutes record the harbour board's business in plain words." for i in range(60)]
    paragraphs[5] += " A strike was threatened."
    paragraphs[50] += " The strike began at the docks, a lighthouse keeper reported."
    (folder / "minutes.txt").write_text("\n\n".join(paragraphs), encoding="utf-8")
    index_and_wait(qtbot, win, [folder])
    return search_and_wait(qtbot, win, "strike lighthouse keeper").results[0]


def index_and_wait(qtbot, win, paths: list[Path]):
    """Add ``paths`` the way a drop does, and wait for the run's report."""
    with qtbot.waitSignal(win.indexer.finished, timeout=TIMEOUT_MS) as blocker:
        win.add_paths([str(p) for p in paths])
    return blocker.args[0]


def search_and_wait(qtbot, win, words: str):
    """Search from the search bar and wait for the response."""
    with qtbot.waitSignal(win.searcher.results, timeout=TIMEOUT_MS) as blocker:
        win.search_bar.search_words(words)
    return blocker.args[1]
