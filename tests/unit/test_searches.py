"""Query history and saved searches: persisted, versioned, round-tripped, never fatal when damaged."""

from __future__ import annotations

import json

from app.searches import HISTORY_MAX, SEARCHES_FILE, SEARCHES_VERSION, SavedSearch, SearchBook
from app.search.types import Filters


def test_history_and_saved_round_trip(tmp_path):
    book = SearchBook(tmp_path)
    filters = Filters(kinds=("news",), after="1916-07", extra={"newspaper": "The Tacoma times"})
    book.remember(SavedSearch.of("strike at the docks", filters, mask_entities=True))
    book.remember(SavedSearch.of("polio"))
    book.remember(SavedSearch.of("Strike at the docks", filters, mask_entities=True))  # a repeat moves up
    book.save_as("docks", book.history[0])
    again = SearchBook(tmp_path)
    assert [h.query for h in again.history] == ["Strike at the docks", "polio"]
    saved = again.saved["docks"]
    assert saved.to_filters() == filters and saved.mask_entities
    assert json.loads((tmp_path / SEARCHES_FILE).read_text())["version"] == SEARCHES_VERSION
    assert again.forget("docks") and "docks" not in SearchBook(tmp_path).saved


def test_history_is_bounded_and_a_damaged_file_is_set_aside(tmp_path):
    book = SearchBook(tmp_path)
    for i in range(HISTORY_MAX + 5):
        book.remember(SavedSearch.of(f"query {i}"))
    assert len(SearchBook(tmp_path).history) == HISTORY_MAX
    (tmp_path / SEARCHES_FILE).write_text("{not json", encoding="utf-8")
    assert SearchBook(tmp_path).history == [] and (tmp_path / "searches.json.damaged").exists()


def test_a_newer_file_is_read_but_not_overwritten(tmp_path):
    raw = {"version": SEARCHES_VERSION + 1, "history": [{"query": "old", "future_field": 1}], "saved": {}}
    (tmp_path / SEARCHES_FILE).write_text(json.dumps(raw), encoding="utf-8")
    book = SearchBook(tmp_path)
    assert [h.query for h in book.history] == ["old"]
    book.remember(SavedSearch.of("new"))
    assert json.loads((tmp_path / SEARCHES_FILE).read_text())["version"] == SEARCHES_VERSION + 1


def test_cli_saves_lists_and_runs(home, capsys):
    from app.cli import main

    assert main(["search", "harbour strike", "--kind", "text", "--save", "harbour"]) == 0
    assert main(["saved"]) == 0
    assert "harbour: harbour strike  [kinds=['text']]" in capsys.readouterr().out
    assert main(["saved", "--run", "harbour"]) == 0
    assert main(["saved", "--history"]) == 0
    assert "harbour strike" in capsys.readouterr().out
    assert main(["saved", "--run", "nope"]) == 2


def test_relevance_floor_keeps_close_matches():
    from types import SimpleNamespace

    from app.search_service import above_floor

    scores = [1.0, 0.9, 0.5, 0.44, 0.43, 0.1]
    results = [SimpleNamespace(score=s) for s in scores]
    assert above_floor(results) == 3
    assert above_floor(results[:2] + [SimpleNamespace(score=0.01)] * 5) == 3  # never fewer than 3
    assert above_floor([]) == 0
