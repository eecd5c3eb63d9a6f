"""An empty query is a usage error with words, not a search that found nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main


@pytest.mark.parametrize("command", ["search", "export"])
@pytest.mark.parametrize("query", ["", "   ", "???", '"   "', "- + ,"])
def test_empty_query_says_what_to_type(home, tmp_path, capsys, command, query):
    extra = ["-o", str(tmp_path / "out.csv")] if command == "export" else []
    assert main([command, query, *extra]) == 2  # as any other bad input (app.cli: UserError)
    captured = capsys.readouterr()
    assert "No results" not in captured.out
    assert captured.err.strip() == f'lexiscope: type some words to search for, e.g. lexiscope {command} "strike at the docks"'
    assert not (home / "searches.json").exists()  # nothing went into the history
    assert not (tmp_path / "out.csv").exists()


def test_a_query_without_words_is_not_searched_by_the_window_either():
    from app.search_service import SearchRequest

    assert SearchRequest("???").is_empty() and SearchRequest('"  "').is_empty()
    assert not SearchRequest("1916").is_empty() and not SearchRequest("café").is_empty()
    assert not SearchRequest("", image=Path("cat.jpg")).is_empty()


def test_a_search_of_an_empty_index_says_to_index_a_folder(home, capsys):
    assert main(["search", "strike at the docks", "--mode", "lexical"]) == 0
    out = capsys.readouterr().out
    assert "note: nothing is indexed here yet: add a folder with `lexiscope index FOLDER`" in out
    assert "No results." in out
