"""``lexiscope forget``: a folder leaves the index (documents and passages), its files stay on disk."""

from __future__ import annotations

from app.cli import main
from app.store import Store


def _folder(path, word, n):
    path.mkdir()
    for i in range(n):
        (path / f"{word}-{i}.txt").write_text(f"A note about {word} number {i}.\n", encoding="utf-8")
    return path


def test_forget_removes_a_folder_and_keeps_the_files(home, tmp_path, capsys):
    gone = _folder(tmp_path / "gone", "walrus", 2)
    kept = _folder(tmp_path / "kept", "puffin", 3)
    assert main(["index", str(gone), str(kept), "--lexical-only"]) == 0
    capsys.readouterr()
    assert main(["forget", str(gone)]) == 0
    assert f"Removed 2 documents under {gone}" in capsys.readouterr().out
    store = Store(home)
    assert {r["path"] for r in store.document_rows(["path"])} == {str(p) for p in kept.iterdir()}
    kept_ids = {r["doc_id"] for r in store.document_rows(["doc_id"])}
    assert {r["doc_id"] for r in store.passage_rows("true", ["doc_id"])} == kept_ids
    assert sorted(p.name for p in gone.iterdir()) == ["walrus-0.txt", "walrus-1.txt"]  # the files stay
    assert main(["forget", str(gone)]) == 0
    assert f"Removed 0 documents under {gone}" in capsys.readouterr().out
