"""``lexiscope FOLDER`` opens the window and indexes the folder (as the desktop entry's %F does)."""

from app.config import Settings
from tests.ui.conftest import make_files


def test_folder_on_the_command_line_is_indexed_in_the_window(qtbot, home, tmp_path):
    from app.ui.main import run_gui

    folder = make_files(tmp_path / "from the launcher", 3)
    png = tmp_path / "shot.png"
    # --screenshot waits for the indexing the folder started, then saves the window and returns.
    assert run_gui(screenshot=str(png), folders=[str(folder)], use_models=False, query="lighthouse") == 0
    assert png.stat().st_size > 0
    assert Settings.load().sources == [str(folder)]
    from app.store import Store

    assert Store(home).counts()["by_state"] == {"indexed": 3}
