"""Spreadsheet safety, provenance, snippets and filters."""

from __future__ import annotations

import json

import pytest

from app import export
from app.search.snippets import make_snippet, match_spans, query_stems
from app.search.types import Filters, Result, SearchResponse, normalise_date


def _response(title: str = "=1+2", snippet: str = "@SUM(A1) a snippet") -> SearchResponse:
    result = Result(rank=1, score=0.5, doc_id="d", path="/x/<b>y</b>.txt", kind="text", title=title, date="1916-07-04",
                    snippet=snippet, highlights=[(9, 16)], passage_id="d:0", passage_start=0, passage_end=10,
                    scores={"bm25": 0.5, "fused": 0.5})
    return SearchResponse(query="q", filters=Filters(kinds=("text",), after="1916"), results=[result])


@pytest.mark.parametrize("value", ["=cmd", "+1", "-1", "@x", "\tx", "\rx"])
def test_formula_cells_are_escaped(value):
    assert export.cell(value) == "'" + value


def test_plain_cells_are_untouched():
    assert export.cell("plain") == "plain" and export.cell(None) == "" and export.cell(3) == "3"


def test_every_format_carries_provenance_and_escapes():
    resp = _response()
    csv_text = export.render(resp, "csv")
    assert "'=1+2" in csv_text and "'@SUM(A1)" in csv_text and "# query: q" in csv_text
    first = json.loads(export.render(resp, "jsonl").splitlines()[0])
    assert first["provenance"]["query"] == "q" and first["provenance"]["filters"]["after"] == "1916"
    assert "&lt;b&gt;" in export.render(resp, "md")
    html = export.render(resp, "html")
    assert "<b>y</b>" not in html and "&lt;b&gt;y&lt;/b&gt;" in html and "<mark>" in html
    with pytest.raises(ValueError):
        export.render(resp, "xls")


def test_snippet_marks_stemmed_query_words():
    text = "Nothing here. " * 30 + "The strikers were striking near the docks. " + "More filler. " * 30
    spans = match_spans(text, query_stems("strike dock"))
    assert [text[s:e] for s, e in spans] == ["striking", "docks"]
    snippet, marks = make_snippet(text, spans)
    assert [snippet[s:e] for s, e in marks] == ["striking", "docks"]
    assert snippet.startswith("…") and snippet.endswith("…") and len(snippet) < 300


def test_filters_and_dates():
    assert normalise_date("1916") == "1916-01-01" and normalise_date("1916-07", end=True) == "1916-07-31"
    with pytest.raises(ValueError):
        normalise_date("July")
    where = Filters(kinds=("news",), folder="/a/b'c/", after="1916-07", before="1916").where()
    assert "kind IN ('news')" in where and "'/a/b''c'" in where and "date >= '1916-07-01'" in where
    assert "date <= '1916-12-31'" in where
    assert Filters().where() is None
