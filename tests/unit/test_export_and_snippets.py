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
    assert "'=1+2" in csv_text and "'@SUM(A1)" in csv_text
    assert csv_text.splitlines()[0] == ",".join(export.COLUMNS)  # the header first: no comment lines
    first = json.loads(export.render(resp, "jsonl").splitlines()[0])
    assert first["provenance"]["query"] == "q" and first["provenance"]["filters"]["after"] == "1916"
    assert "&lt;b&gt;" in export.render(resp, "md")
    html = export.render(resp, "html")
    assert "<b>y</b>" not in html and "&lt;b&gt;y&lt;/b&gt;" in html and "<mark>" in html
    # Provenance in words: labels, no raw keys, no "None" or "{}".
    assert "Filters</td><td>only text; from 1916" in html and "masked_query" not in html and "None" not in html
    assert '<a href="file:///x/' in html
    with pytest.raises(ValueError):
        export.render(resp, "xls")


def test_csv_reads_with_no_options_and_provenance_goes_beside_it(tmp_path):
    import csv

    import pandas

    resp = _response()
    path = export.write(resp, "csv", tmp_path / "hits.csv")
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["rank"] for r in rows] == ["1"] and rows[0]["path"] == "/x/<b>y</b>.txt"
    frame = pandas.read_csv(path)
    assert list(frame.columns) == export.COLUMNS and len(frame) == len(resp.results)
    side = json.loads(export.sidecar_path(path).read_text(encoding="utf-8"))
    assert side["export"] == "hits.csv" and side["provenance"]["query"] == "q"


@pytest.mark.parametrize("typed, chosen, expected", [
    ("report.html", "csv", ("report.html", "html")),  # the typed extension wins over the filter
    ("report.HTM", "csv", ("report.HTM", "html")),
    ("report", "md", ("report.md", "md")),  # no extension: the filter's
    ("notes.v2", "jsonl", ("notes.v2.jsonl", "jsonl")),
    ("out.json", None, ("out.json", "jsonl")),
])
def test_save_target_honours_the_typed_extension(typed, chosen, expected):
    path, fmt = export.target_for(typed, chosen)
    assert (path.name, fmt) == expected


def test_snippet_marks_stemmed_query_words():
    text = "Nothing here. " * 30 + "The strikers were striking near the docks. " + "More filler. " * 30
    spans = match_spans(text, query_stems("strike dock"))
    assert [text[s:e] for s, e in spans] == ["striking", "docks"]
    snippet, marks = make_snippet(text, spans)
    assert [snippet[s:e] for s, e in marks] == ["striking", "docks"]
    assert snippet.startswith("…") and snippet.endswith("…") and len(snippet) < 300


def test_match_spans_finds_exactly_the_words_a_word_by_word_pass_finds():
    """The regex that skips words not beginning like a stem keeps every match (reference: every word stemmed)."""
    import random
    import re

    from app.search.snippets import _stem

    def every_word(text, stems):
        return [(m.start(), m.end()) for m in re.finditer(r"\w+", text) if _stem(m.group().lower()) in stems]

    rng = random.Random(5)
    vocab = ("Strike strikers STRIKING docks Dock's dockers harbour Harbours wheat Wheaten a I x9 _under_ "
             "naïve Naïveté Ångström ÅNGSTRÖM straße STRASSE ſtrike œuvre Œuvres 1916 co-operation Co-op "
             "mayor's Mayors union Unions reunion bridge-builders "
             # Where Snowball rewrites a word's end: y -> i, e dropped or added, suffixes replaced.
             "hoping hope hopped happily happy cries skies sky operational operator operate relational "
             "relate fluency fluent sensibility sensible possibility possibly radically radical generously "
             "organization organize stably agreed agreement").split()
    for _ in range(300):
        text = " ".join(rng.choice(vocab) + rng.choice(["", ",", ".", "—", "'s", "\n"]) for _ in range(40))
        query = " ".join(rng.sample(vocab, rng.randint(1, 4)))
        stems = query_stems(query)
        assert match_spans(text, stems) == every_word(text, stems), (query, text)
    assert match_spans("STRIKE at the Docks; strikers", query_stems("strike dock")) == [(0, 6), (14, 19)]


def test_filters_and_dates():
    assert normalise_date("1916") == "1916-01-01" and normalise_date("1916-07", end=True) == "1916-07-31"
    with pytest.raises(ValueError):
        normalise_date("July")
    for impossible in ("1916-13-45", "1916-13", "1916-02-30", "0000"):
        with pytest.raises(ValueError, match="no such month or day"):
            normalise_date(impossible)
    assert normalise_date("1916-02-29") == "1916-02-29"  # a leap day
    where = Filters(kinds=("news",), folder="/a/b'c/", after="1916-07", before="1916").where()
    assert "kind IN ('news')" in where and "'/a/b''c'" in where and "date >= '1916-07-01'" in where
    assert "date <= '1916-12-31'" in where
    assert Filters().where() is None


def test_markdown_export_has_no_links_from_document_text():
    # A document's text holding link syntax stays text: no javascript:/data: link reaches the export.
    resp = _response(title="[click](javascript:alert(1))", snippet="![img](data:text/html,x) and <javascript:alert(2)>")
    md = export.render(resp, "md")
    import re

    assert not re.search(r"(?<!\\)\]\(", md) and "<javascript:" not in md  # no unescaped "](": no link
    assert "\\[click\\](javascript:alert(1))" in md
