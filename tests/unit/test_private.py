"""The data folder is private: created 0700, an open one tightened with a note, our writes not world-readable."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from app.config import data_root, make_private


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_data_root_is_created_0700(tmp_path, monkeypatch, capsys):
    home = tmp_path / "deep" / "lexiscope"
    monkeypatch.setenv("LEXISCOPE_HOME", str(home))
    assert data_root() == home
    assert _mode(home) == 0o700
    assert capsys.readouterr().err == ""  # nothing to say about a folder we just made


def test_open_data_folder_is_tightened_with_a_note(tmp_path, monkeypatch, capsys):
    home = tmp_path / "old-home"
    (home / "index" / "passages.lance").mkdir(parents=True)
    secret = home / "index" / "passages.lance" / "data.lance"
    secret.write_text("the text of a private file")
    for p in (home, home / "index", home / "index" / "passages.lance"):
        p.chmod(0o755)
    secret.chmod(0o644)
    monkeypatch.setenv("LEXISCOPE_HOME", str(home))
    data_root()
    assert _mode(home) == 0o700
    assert _mode(secret) == 0o600 and _mode(home / "index") == 0o700
    err = capsys.readouterr().err
    assert "made the data folder" in err and "private" in err and "0755" in err
    data_root()  # already private: silent
    assert capsys.readouterr().err == ""
    assert make_private(home) is False


def test_cli_writes_are_private(tmp_path):
    # A real `lexiscope index` in a child process started with a permissive umask: nothing it writes
    # under the data folder may be readable by group or others.
    src = tmp_path / "docs"
    src.mkdir()
    (src / "note.txt").write_text("A private note about ferries and harbours.\n")
    home = tmp_path / "home"
    env = {**os.environ, "LEXISCOPE_HOME": str(home)}
    code = "import os, sys; os.umask(0o022); from app.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", code, "index", str(src), "--lexical-only"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert _mode(home) == 0o700
    written = [p for p in home.rglob("*") if not p.is_symlink()]
    assert any(p.suffix == ".lance" for p in written)
    open_ = [f"{p.relative_to(home)} {_mode(p):04o}" for p in written if _mode(p) & 0o077]
    assert open_ == []


def test_a_second_writer_says_it_waits_and_how_to_stop_the_first(tmp_path, capsys):
    import threading

    from filelock import FileLock

    from app.store import Store

    store = Store(tmp_path / "home")
    (tmp_path / "home" / "index.lock.pid").write_text("4242")
    first = FileLock(str(tmp_path / "home" / "index.lock"))
    first.acquire()
    got = threading.Event()

    def second():
        with store.lock():
            got.set()

    t = threading.Thread(target=second)
    t.start()
    err = ""
    for _ in range(400):
        err += capsys.readouterr().err
        if "waiting" in err or got.is_set():
            break
        t.join(0.05)
    assert not got.is_set()  # it waits...
    assert "waiting for it to finish" in err and "kill 4242" in err  # ...and says so, and how to stop the other
    first.release()
    t.join(30)
    assert got.is_set()  # ...and goes on once the first run is done
