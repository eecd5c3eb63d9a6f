"""The window's damaged-index banner: fed by app.check's cheap structural check, with the repair command."""

from __future__ import annotations

from app.config import Settings
from app.index_run import index_paths
from app.ui.index_health import damaged_index_status
from tests.fixtures import corrupt


def test_damaged_index_status(tmp_path):
    docs, home = tmp_path / "docs", tmp_path / "home"
    docs.mkdir()
    (docs / "a.txt").write_text("A note about the harbour.\n", encoding="utf-8")
    index_paths([docs], Settings(), root=home, use_models=False)
    assert damaged_index_status(home) == []
    corrupt.garbage_manifest(home, "documents")
    (status,) = damaged_index_status(home)
    assert status["fix"] == "lexiscope check --repair" and "damaged" in status["message"]
