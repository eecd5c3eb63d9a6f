"""scan() on real folders: what is yielded, what is left out, and that nothing hangs or crashes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from app.ingest.scan import count_files, scan
from tests.fixtures.odd_tree import make_odd_tree


def _touch(root: Path, *rels: str) -> None:
    for rel in rels:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)


def _rels(root: Path, roots=None) -> list[str]:
    return [p.relative_to(root).as_posix() for p in scan(roots or [root])]


def test_odd_tree_yields_exactly_the_expected_files(tmp_path):
    expected = make_odd_tree(tmp_path)
    got = _rels(tmp_path)
    assert sorted(got) == sorted(expected)
    assert len(got) == len(set(got))
    assert not any(".hidden" in rel or "private notes" in rel or "draft" in rel for rel in got)
    assert not any(rel.startswith("node_modules") for rel in got)


def test_order_is_deterministic_and_sorted_by_name(tmp_path):
    _touch(tmp_path, "b.txt", "a/z.txt", "a/b/c.txt", "c/x.txt", "A.txt")
    first = _rels(tmp_path)
    assert first == ["A.txt", "a/b/c.txt", "a/z.txt", "b.txt", "c/x.txt"]
    assert _rels(tmp_path) == first


def test_root_may_be_a_file_and_duplicates_are_dropped(tmp_path):
    _touch(tmp_path, "one.txt", "sub/two.txt")
    roots = [tmp_path / "sub" / "two.txt", tmp_path, tmp_path / "sub"]
    assert _rels(tmp_path, roots) == ["sub/two.txt", "one.txt"]


def test_missing_root_is_not_fatal(tmp_path):
    _touch(tmp_path, "real.txt")
    assert _rels(tmp_path, [tmp_path / "unplugged drive", tmp_path]) == ["real.txt"]


def test_hidden_and_junk_are_skipped(tmp_path):
    _touch(
        tmp_path,
        "keep.txt",
        ".dotfile.txt",
        ".git/config.txt",
        ".Trash-1000/files/old.txt",
        "__pycache__/x.txt",
        "node_modules/m/readme.md",
        "$RECYCLE.BIN/gone.txt",
        "System Volume Information/x.txt",
        "lost+found/x.txt",
        "__MACOSX/._photo.jpg",
        "sub/Thumbs.db",
        "sub/~$report.docx",
        "sub/report.docx",
    )
    assert _rels(tmp_path) == ["keep.txt", "sub/report.docx"]


def test_symlink_loop_terminates_and_yields_each_file_once(tmp_path):
    _touch(tmp_path, "a/one.txt", "a/b/two.txt")
    os.symlink(tmp_path / "a", tmp_path / "a" / "b" / "back_to_a")
    os.symlink(tmp_path, tmp_path / "a" / "to_root")
    assert _rels(tmp_path) == ["a/b/two.txt", "a/one.txt"]


def test_symlinked_folder_outside_the_root_is_followed_once(tmp_path):
    outside, root = tmp_path / "outside", tmp_path / "root"
    _touch(outside, "photo.jpg")
    root.mkdir()
    os.symlink(outside, root / "link1")
    os.symlink(outside, root / "link2")
    os.symlink(outside / "photo.jpg", root / "same photo.jpg")
    os.symlink(root / "nowhere", root / "dangling.txt")
    assert _rels(root) == ["link1/photo.jpg"]


def test_nested_ignore_files_combine(tmp_path):
    _touch(
        tmp_path,
        "a.log",
        "top.txt",
        "keep.txt",
        "build/out.txt",
        "sub/top.txt",
        "sub/b.log",
        "sub/keep.log",
        "sub/build",  # a file named like an ignored folder: "build/" only matches folders
        "sub/deeper/c.log",
        "sub/deeper/notes.md",
    )
    (tmp_path / ".lexiscopeignore").write_text("*.log\nbuild/\n/top.txt\n")
    # The nested file adds a rule and re-includes one name; its patterns are relative to sub/.
    (tmp_path / "sub" / ".lexiscopeignore").write_text("!keep.log\n/deeper/notes.md\n")
    assert _rels(tmp_path) == ["keep.txt", "sub/build", "sub/keep.log", "sub/top.txt"]


def test_special_files_are_not_yielded(tmp_path):
    _touch(tmp_path, "doc.txt")
    os.mkfifo(tmp_path / "pipe.txt")  # reading a FIFO would block the indexer forever
    assert _rels(tmp_path) == ["doc.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read folders without permission")
def test_unreadable_folder_is_skipped(tmp_path):
    _touch(tmp_path, "a.txt", "locked/secret.txt", "z.txt")
    (tmp_path / "locked").chmod(0)
    try:
        assert _rels(tmp_path) == ["a.txt", "z.txt"]
    finally:
        (tmp_path / "locked").chmod(0o755)


def test_folder_removed_during_scan_is_not_fatal(tmp_path):
    _touch(tmp_path, "a.txt", "b/one.txt", "c/two.txt")
    walk = scan([tmp_path])
    assert next(walk).name == "a.txt"
    shutil.rmtree(tmp_path / "b")  # listed already, gone before it is opened
    assert [p.name for p in walk] == ["two.txt"]


def test_count_files_reports_progress(tmp_path):
    for i in range(450):
        (tmp_path / f"f{i:03}.txt").write_text("x")
    seen: list[int] = []
    assert count_files([tmp_path], on_change=seen.append) == 450
    assert seen == [200, 400, 450]
    assert count_files([tmp_path / "missing"]) == 0
