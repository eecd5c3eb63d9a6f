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
