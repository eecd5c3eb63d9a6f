"""``run_gui``: start the application, optionally index the sample collection, or render a screenshot."""

from __future__ import annotations

import os
import sys
import time

# The window's default size: screenshots show what a new user sees (the detail pane must fit it).
SCREENSHOT_SIZE = (1280, 800)
WAIT_S = 600


def _wait_until(app, predicate, timeout_s: float = WAIT_S) -> bool:
    """Run the event loop until ``predicate()`` holds (True) or the time is up (False)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents()
        if predicate():
            return True
        time.sleep(0.01)
    return False


def take_screenshot(app, window, path: str, query: str | None) -> int:
    """Wait for indexing, run ``query`` (``image:PATH`` searches by a picture), save the window as PNG."""
    from app.search_service import parse_query

    _wait_until(app, lambda: window.summary is not None)  # the counts (asked for just after the first paint)
    _wait_until(app, lambda: not window.indexer.busy() and not window.indexer.jobs)
    _wait_until(app, lambda: window.runner.active() == 0)
    if query:
        words, image = parse_query(query)
        got = []
        window.searcher.results.connect(lambda *args: got.append(args))
        if image is not None:
            window.search_bar.search_image(str(image))
        else:
            window.search_bar.search_words(words)
        if not _wait_until(app, lambda: bool(got)):
            print("lexiscope: the search did not finish", file=sys.stderr)
            return 1
    _wait_until(app, lambda: window.runner.active() == 0)  # thumbnails, the detail image, counts
    if os.environ.get("LEXISCOPE_SCREENSHOT_DOCK") == "filters":  # show the facet sidebar's tab
        window.facets.raise_()
    _wait_until(app, lambda: False, 0.3)  # let the last layouts and repaints land
    if query:  # the "Why it matched" panel, last in the pane, is what a query screenshot is for
        bar = window.detail.verticalScrollBar()
        bar.setValue(bar.maximum())
        _wait_until(app, lambda: False, 0.1)
    ok = window.grab().save(path)
    window.close()
    if not ok:
        print(f"lexiscope: could not write {path}", file=sys.stderr)
        return 1
    print(f"Saved {path}")
    return 0


def run_gui(demo: bool = False, screenshot: str | None = None, query: str | None = None, *,
            use_models: bool = True, folders: list[str] | None = None) -> int:
    """Open the Lexiscope window; with ``screenshot``, render it to that PNG and exit. ``folders`` are
    added to the index as if dropped on the window (``lexiscope FOLDER...``, the menu entry's %F)."""
    from app.ui.state import apply_data_folder_choice

    apply_data_folder_choice()
    if screenshot and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a screenshot needs no screen
    from app.store import IndexTooNew
    from app.ui.qt import QApplication, QMessageBox, QTimer
    from app.ui.style import apply_style
    from app.ui.window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Lexiscope")
    app.setOrganizationName("Lexiscope")
    QApplication.setDesktopFileName("lexiscope")  # matches resources/lexiscope.desktop for the taskbar icon
    apply_style(app)
    try:
        window = MainWindow(use_models=use_models)
    except IndexTooNew as exc:
        QMessageBox.critical(None, "Lexiscope", str(exc))
        return 2
    if screenshot:
        window.resize(*SCREENSHOT_SIZE)
    from app.config import data_root
    from app.ui.index_health import show_if_damaged

    show_if_damaged(window, data_root())  # a damaged index says so at once, with a Repair button
    window.show()
    report = os.environ.get("LEXISCOPE_REPORT_SHOWN")
    if report:
        # For bench/gui_responsiveness.py: the moment the first frame's events have been handled
        # ("exit": then quit, so the benchmark can time many starts).
        def shown() -> None:
            print(f"window-shown {time.time():.6f}", flush=True)
            if report == "exit":
                window.close()
                app.quit()

        QTimer.singleShot(0, shown)
    if demo:
        window.try_sample()
    if folders:
        window.add_paths(list(folders))
    if screenshot:
        return take_screenshot(app, window, screenshot, query)
    return app.exec()
