"""Indexing into real LanceDB: every file's state, incremental runs, renames, duplicates, cancel."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.config import Settings
from app.index_run import index_paths
from app.search.engine import Searcher
from app.search.types import Filters
from app.store import SCHEMA_VERSION, IndexTooNew, Store
from tests.fixtures.odd_tree import CP1252_TEXT, HIDDEN_WORD, IGNORED_WORD, PDF_PAGE2_WORD, SCRIPT_WORD, make_odd_tree


def _index(home: Path, *paths: Path, **kw):
    return index_paths(list(paths), Settings(), root=home, use_models=False, **kw)


def _paths(home: Path, query: str, **filters) -> list[str]:
    response = Searcher(Store(home)).search(query, k=20, filters=Filters(**filters))
    return [r.path for r in response.results]


def _states(home: Path, tree: Path) -> dict[str, str]:
    rows = Store(home).document_rows(["path", "state"])
    return {Path(r["path"]).relative_to(tree).as_posix(): r["state"] for r in rows}


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "odd tree"
    return root, make_odd_tree(root)


def test_every_file_ends_in_exactly_one_expected_state(home, tree):
    root, expected = tree
    report = _index(home, root)
    assert _states(home, root) == expected
    assert report.seen == len(expected)
    assert report.indexed + report.skipped + report.failed == len(expected)
    problems = {Path(p["path"]).name: p["reason"] for p in report.problems}
    assert "unsupported" in problems["data.xyz"]
    assert problems["empty.txt"] == "empty"
    assert problems["corrupt.pdf"] and problems["truncated.jpg"]


def test_content_is_searchable_and_excluded_text_is_not(home, tree):
    root, _ = tree
    _index(home, root)
    assert _paths(home, PDF_PAGE2_WORD) == [str(root / "docs/report.pdf")]
    assert _paths(home, "crème") == [str(root / "encodings/cp1252 notes.txt")]
    assert "smart" in CP1252_TEXT
    assert _paths(home, "tablecellvalue") == [str(root / "docs/memo.docx")]
    for word in (SCRIPT_WORD, HIDDEN_WORD, IGNORED_WORD):
        assert _paths(home, word) == []
    # Images are findable by file name with no image model.
    assert _paths(home, "holiday", kinds=("image",)) == [str(root / "photos/holiday_snap-2019.jpg")]


def test_filters_by_kind_folder_and_exif_date(home, tree):
    root, _ = tree
    _index(home, root)
    images = _paths(home, "holiday snap plain png", kinds=("image",))
    assert set(images) <= {str(root / "photos/plain.png"), str(root / "photos/holiday_snap-2019.jpg")}
    assert _paths(home, "holiday", after="2019-07-01", before="2019-07-31") == [str(root / "photos/holiday_snap-2019.jpg")]
    assert _paths(home, "holiday", before="2019-06") == []
    assert _paths(home, "harbour", folder=str(root / "web")) == [str(root / "web/page.html")]


def test_second_run_changes_nothing(home, tree):
    root, expected = tree
    _index(home, root)
    store = Store(home)
    versions = (store.documents.version, store.passages.version)
    report = _index(home, root)
    assert report.unchanged == len(expected)
    assert (report.indexed, report.skipped, report.failed, report.removed) == (0, 0, 0, 0)
    store = Store(home)
    assert (store.documents.version, store.passages.version) == versions


def test_changed_removed_renamed_and_duplicated_files(home, tree):
    root, _ = tree
    _index(home, root)
    note = root / "one/two words/three/deep note.md"
    note.write_text("# Deep\n\nNow about lighthouses.\n", encoding="utf-8")
    (root / "web/page.html").unlink()
    shutil.move(root / "docs/report.pdf", root / "docs/renamed report.pdf")
    shutil.copy(root / "docs/memo.docx", root / "memo copy.docx")
    report = _index(home, root)
    assert (report.indexed, report.renamed, report.duplicates, report.removed) == (3, 1, 1, 1)
    assert _paths(home, "lighthouses") == [str(note)]
    assert _paths(home, "ferry") == []
    assert _paths(home, PDF_PAGE2_WORD) == [str(root / "docs/renamed report.pdf")]
    assert sorted(_paths(home, "tablecellvalue")) == sorted([str(root / "docs/memo.docx"), str(root / "memo copy.docx")])
    _assert_no_duplicate_passages(Store(home))


def _assert_no_duplicate_passages(store: Store) -> None:
    ids = [r["passage_id"] for r in store.passage_rows("true", ["passage_id"])]
    assert len(ids) == len(set(ids))
    docs = store.document_rows(["doc_id", "n_passages", "state"])
    per_doc: dict[str, int] = {}
    for pid in ids:
        per_doc[pid.split(":")[0]] = per_doc.get(pid.split(":")[0], 0) + 1
    for d in docs:
        assert per_doc.get(d["doc_id"], 0) == d["n_passages"], d


def test_cancel_leaves_a_searchable_index_and_the_next_run_completes_it(home, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(100):
        (folder / f"note {i:03}.txt").write_text(f"Note number {i} about the word walrus{i}.\n", encoding="utf-8")
    report = _index(home, folder, should_stop=lambda: True)
    assert report.cancelled and 0 < report.indexed < 100
    first = report.indexed
    assert len(_paths(home, "note number")) > 0
    report = _index(home, folder)
    assert report.indexed == 100 - first and report.unchanged == first
    assert _paths(home, "walrus99") == [str(folder / "note 099.txt")]
    _assert_no_duplicate_passages(Store(home))


def test_an_index_from_a_newer_app_is_refused(home, monkeypatch):
    import app.store.schema as store_module

    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    Store(home)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION)
    with pytest.raises(IndexTooNew, match="newer Lexiscope"):
        Store(home)


def test_picture_query_without_an_image_model_searches_its_name_and_says_so(home, tmp_path):
    from PIL import Image

    folder = tmp_path / "photos"
    folder.mkdir()
    for name, colour in (("chelsea the cat.png", "orange"), ("harbour boats.png", "blue")):
        Image.new("RGB", (16, 16), colour).save(folder / name)
    (folder / "notes.txt").write_text("Chelsea sleeps all afternoon.", encoding="utf-8")
    _index(home, folder)
    query = tmp_path / "elsewhere" / "chelsea_cat.png"
    query.parent.mkdir()
    Image.new("RGB", (16, 16), "orange").save(query)
    searcher = Searcher(Store(home))
    # As a picture dropped on the window, and as a path in query arithmetic (CLI).
    for response in (searcher.search("", k=5, image=query), searcher.search(f"{query} -boats", k=5)):
        assert response.mode == "bm25"
        assert any("file name words (chelsea cat)" in n for n in response.notes), response.notes
        paths = [r.path for r in response.results]
        assert paths[0] == str(folder / "chelsea the cat.png") and str(folder / "notes.txt") in paths
        assert str(folder / "harbour boats.png") not in paths
