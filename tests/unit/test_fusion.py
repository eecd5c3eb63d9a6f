"""Fusing the retrieval components' ranked lists: min-max score fusion (the default) and RRF."""

import pytest

from app.search.engine import RRF_K, fuse
from app.search.fusion import FUSION_METHOD


def _hits(*pairs):
    return [({"passage_id": pid}, score) for pid, score in pairs]


COMPONENTS = {
    "bm25": _hits(("a", 12.0), ("b", 7.0), ("c", 2.0)),
    "dense": _hits(("b", 0.80), ("d", 0.60), ("a", 0.40)),
}


def test_the_app_searcher_fuses_by_the_measured_choice(tmp_path):
    # The searcher the app builds (not a bare Searcher) uses the method bench/fusion_weights.py chose.
    # An empty index has no vector columns, so no model is loaded.
    from app.config import Settings
    from app.session import make_searcher
    from app.store import Store

    searcher = make_searcher(Store(tmp_path), Settings(), models=True)
    assert searcher.fusion == FUSION_METHOD
    assert [c.row["passage_id"] for c in fuse(COMPONENTS, searcher.weights, searcher.fusion)] == ["b", "a", "d", "c"]


def test_minmax_scales_each_component_and_the_parts_add_up():
    fused = {c.row["passage_id"]: c for c in fuse(COMPONENTS, None, "minmax")}
    # bm25 spans 2..12, dense 0.4..0.8: "b" is (7-2)/10 + 1.0, "a" is 1.0 + 0.0.
    assert fused["b"].parts == pytest.approx({"bm25": 0.5, "dense": 1.0})
    assert fused["a"].parts == pytest.approx({"bm25": 1.0, "dense": 0.0})
    assert fused["d"].parts == pytest.approx({"dense": 0.5})  # absent from bm25: no share from it
    for cand in fused.values():
        assert cand.scores["fused"] == pytest.approx(sum(cand.parts.values()))
    order = [c.row["passage_id"] for c in fuse(COMPONENTS, None, "minmax")]
    assert order == ["b", "a", "d", "c"]


def test_weights_scale_the_shares():
    fused = {c.row["passage_id"]: c for c in fuse(COMPONENTS, {"bm25": 2.0, "dense": 1.0}, "minmax")}
    assert fused["a"].scores["fused"] == pytest.approx(2.0)
    assert fused["b"].scores["fused"] == pytest.approx(2.0 * 0.5 + 1.0)


def test_rrf_shares_are_reciprocal_ranks():
    fused = {c.row["passage_id"]: c for c in fuse(COMPONENTS, None, "rrf")}
    assert fused["b"].parts == pytest.approx({"bm25": 1 / (RRF_K + 2), "dense": 1 / (RRF_K + 1)})
    assert fused["b"].scores["fused"] == pytest.approx(sum(fused["b"].parts.values()))


def test_one_component_passes_through_and_ties_do_not_divide_by_zero():
    only = fuse({"bm25": _hits(("a", 3.0), ("b", 1.0))}, None, "minmax")
    assert [(c.row["passage_id"], c.scores["fused"], c.parts) for c in only] == [
        ("a", 3.0, {"bm25": 3.0}), ("b", 1.0, {"bm25": 1.0})]
    flat = fuse({"bm25": _hits(("a", 5.0)), "dense": _hits(("a", 0.3), ("b", 0.3))}, None, "minmax")
    assert {c.row["passage_id"]: c.scores["fused"] for c in flat} == pytest.approx({"a": 2.0, "b": 1.0})


@pytest.mark.parametrize("method", ["rrf", "minmax"])
def test_equal_scores_come_in_passage_id_order_whatever_order_the_components_gave(method):
    """A full-text search returns passages with equal scores in any order; the fused list does not."""
    hits = [({"passage_id": "d2:0"}, 3.0), ({"passage_id": "d1:0"}, 3.0), ({"passage_id": "d0:1"}, 3.0),
            ({"passage_id": "d9:0"}, 1.0)]
    orders = {tuple(c.row["passage_id"] for c in fuse({"bm25": h}, method=method)) for h in (hits, hits[2::-1] + hits[3:])}
    assert orders == {("d0:1", "d1:0", "d2:0", "d9:0")}
    # Within a component too: equal scores are ranked in passage-id order, so the reciprocal ranks (and the
    # fused list beside another component) do not depend on the order the ties came in.
    dense = [({"passage_id": "d9:0"}, 0.9), ({"passage_id": "d2:0"}, 0.5), ({"passage_id": "d1:0"}, 0.4)]
    fused = [[(c.row["passage_id"], c.ranks["bm25"], round(c.scores["fused"], 9)) for c in
              fuse({"bm25": h, "dense": dense}, method=method)] for h in (hits, hits[2::-1] + hits[3:])]
    assert fused[0] == fused[1]
    assert [r for _, r, _ in sorted(fused[0])] == [1, 2, 3, 4]  # d0:1, d1:0, d2:0, d9:0


def test_two_components_best_passages_tie_in_minmax_and_come_in_component_order_not_id_order():
    """Min-max gives each component's best passage its whole weight: the dense search's best and BM25's best
    tie at 1.0 when neither finds the other's. They come in component order (meaning first), so two indexes
    of the same files, whose passage ids begin with different random document ids, list them alike."""
    for words_id, meaning_id in (("a0:0", "z9:0"), ("z9:0", "a0:0")):
        fused = fuse({"dense": _hits((meaning_id, 0.8), ("m:1", 0.2)),
                      "bm25": _hits((words_id, 9.0), ("m:1", 1.0))}, None, "minmax")
        assert [(c.row["passage_id"], c.scores["fused"]) for c in fused][:2] == [(meaning_id, 1.0), (words_id, 1.0)]
