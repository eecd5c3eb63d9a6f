"""Shared fixtures: every test gets its own data root; Qt runs offscreen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANCEDB_LOG", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh LEXISCOPE_HOME for the test."""
    root = tmp_path / "home"
    root.mkdir(mode=0o700)  # as data_root() makes it; an open one would be tightened with a note
    monkeypatch.setenv("LEXISCOPE_HOME", str(root))
    return root


# The fast tier (`pytest -m "not slow"`, README) leaves these out: each starts processes (the CLI, the
# indexer, the window's workers, Ray), builds and indexes with real models, or kills runs at every write
# boundary. Measured with `pytest --durations=0` on the 2-core reference box; a test or module over a few
# seconds belongs here (or gets @pytest.mark.slow where it is written).
SLOW_MODULES = {
    "tests/e2e/test_cli.py",
    "tests/e2e/test_cold_start.py",
    "tests/integration/test_check_repair.py",
    "tests/integration/test_cluster.py",
    "tests/integration/test_crash_safety.py",
    "tests/integration/test_enrich_slices.py",
    "tests/integration/test_explain_words.py",
    "tests/integration/test_forget.py",
    "tests/integration/test_index_lifecycle.py",
    "tests/integration/test_model_guard.py",
    "tests/integration/test_models_search.py",
    "tests/integration/test_no_network.py",
    "tests/integration/test_stop_kill.py",
    "tests/integration/test_two_passes.py",
    "tests/news/test_index_search.py",
    "tests/ui/test_dense_spans.py",
    "tests/ui/test_launch_folders.py",
    "tests/ui/test_widgets.py",
    "tests/ui/test_window.py",
    "tests/ui/test_workflow.py",
}
SLOW_TESTS = {
    "tests/models/test_clip.py::test_mobileclip_architecture",  # builds and converts a MobileCLIP: ~50 s
    "tests/models/test_text.py::test_real_minilm_through_loader",  # the real MiniLM weights
    "tests/unit/test_private.py::test_cli_writes_are_private",  # runs the CLI in a subprocess
    "tests/integration/test_lance_files.py::test_fragments_match_pylance_for_every_version",  # many versions
}
_ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items):
    """Mark the slow tests (SLOW_MODULES, SLOW_TESTS) ``slow``."""
    for item in items:
        module = Path(str(item.fspath)).resolve().relative_to(_ROOT).as_posix()
        if module in SLOW_MODULES or f"{module}::{item.name.split('[')[0]}" in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
