"""The typed explanation writes the JSON app.explain has always written (keys, order, values) and reads it
back; the one span-marking helper merges overlaps and escapes only the text."""

import html

import pytest

from app.search.explanation import Explanation, Span, Term
from app.search.snippets import mark_spans

COMPONENTS = {"sparse": {"score": 2.0, "rank": 1, "fused_part": 0.5}, "bm25": {"score": None, "rank": None,
                                                                             "fused_part": None},
              "fused": {"score": 0.5}}
# One explanation of each kind, as app.explain wrote them before the dataclasses (docs/json.md).
SPARSE_TEXT = {
    "terms": [{"term": "harbour", "contribution": 1.5, "query_weight": 1.0, "doc_weight": 1.5,
               "pieces": ["harbour"]}],
    "coverage": 0.75, "sparse_score": 2.0,
    "spans": [{"start": 4, "end": 11, "term": "harbour", "kind": "term"},
              {"start": 4, "end": 11, "term": "harbor", "kind": "dense", "similarity": 0.91}],
    "components": COMPONENTS, "score_kind": "sparse",
    "all_terms": [{"id": 7, "term": "harbour", "contribution": 1.5}, {"id": 9, "term": "the", "contribution": 0.5}],
    "expansion": [{"term": "port", "contribution": 0.1}], "dense_spans": True,
}
IMAGE = {
    "terms": [{"term": "red", "contribution": 0.4, "query_weight": 0.5, "doc_weight": 0.8}],
    "coverage": 1.0, "sparse_score": 0.4, "spans": [], "components": COMPONENTS, "score_kind": "sparse",
    "all_terms": [{"id": 3, "term": "red", "contribution": 0.4}],
    "image_words": [{"term": "red", "weight": 0.8, "shared": True}, {"term": "square", "weight": 0.2, "shared": False}],
    "dense_spans": False,
}
BM25 = {
    "terms": [{"term": "striking", "contribution": 2.2, "query_word": "strikes"}],
    "coverage": 1.0, "sparse_score": None, "spans": [{"start": 0, "end": 8, "term": "striking", "kind": "term"}],
    "components": {"bm25": {"score": 2.2, "rank": 1, "fused_part": 2.2}, "fused": {"score": 2.2}},
    "score_kind": "bm25", "all_terms": [{"term": "striking", "contribution": 2.2}], "dense_spans": False,
}
NOTHING = {"terms": [], "coverage": None, "sparse_score": None, "spans": [], "components": COMPONENTS,
           "dense_spans": False}


@pytest.mark.parametrize("data", [SPARSE_TEXT, IMAGE, BM25, NOTHING], ids=["sparse", "image", "bm25", "none"])
def test_json_round_trip_keeps_keys_order_and_values(data):
    exp = Explanation.from_json(data)
    out = exp.to_json()
    assert out == data
    assert list(out) == list(data)  # the order --json writes them in
    for name in ("terms", "all_terms", "image_words", "expansion", "spans"):
        assert [list(x) for x in out.get(name) or []] == [list(x) for x in data.get(name) or []]


def test_attributes_are_typed_values():
    exp = Explanation.from_json(SPARSE_TEXT)
    assert isinstance(exp.terms[0], Term) and exp.terms[0].pieces == ["harbour"]
    assert isinstance(exp.spans[1], Span) and exp.spans[1].similarity == 0.91
    assert exp.all_terms is not None and sum(t.contribution or 0 for t in exp.all_terms) == exp.sparse_score


def test_unknown_keys_are_an_error_not_dropped():
    with pytest.raises(ValueError, match="made_up"):
        Explanation.from_json({**NOTHING, "made_up": 1})


def test_mark_spans_merges_overlaps_and_escapes_text_only():
    text = "a <b> harbour & strike"
    marked = mark_spans(text, [(6, 13), (10, 22), (30, 40)], "[", "]", html.escape)
    assert marked == "a &lt;b&gt; [harbour &amp; strike]"  # overlapping spans as one; out of range ignored
    assert mark_spans("docks", [], "[", "]") == "docks"
    assert mark_spans("the docks", [(4, 9)], "«", "»") == "the «docks»"
