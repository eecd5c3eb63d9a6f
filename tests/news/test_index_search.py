"""Index fake newspaper pages into a real LanceDB, then search through the CLI as a user would."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from tests.news.fixtures import make_chronam


@pytest.fixture
def indexed(home, tmp_path, capsys):
    base = make_chronam(tmp_path)
    # No text/vocab/image model is installed here, so this is pass 1 and then pass 2 with the entity
    # recogniser alone: entities, masking and reprint signatures are pass 2's work.
    assert main(["index", str(base)]) == 0
    capsys.readouterr()
    return base


def _json(capsys, argv) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_search_after_date_with_masking(indexed, capsys):
    out = _json(capsys, ["search", "General Pershing reports the troopers were released at the border",
                         "--mask-entities", "--after", "1916-07-01", "--json"])
    assert out["masked_query"] and "Pershing" not in out["masked_query"] and "[MASK]" in out["masked_query"]
    assert out["results"]
    for r in out["results"]:
        assert r["kind"] == "news" and r["date"] >= "1916-07-01"
        assert r["newspaper"] and r["place"]


def test_wire_story_printings_are_grouped_earliest_first(indexed, capsys):
    out = _json(capsys, ["search", "troopers Carrizal prisoners released border", "--json"])
    wire = [r for r in out["results"] if "Carrizal" in r["snippet"] or r.get("printings")]
    assert len(wire) == 1, "the three printings of the wire story come back as one result"
    printings = wire[0]["printings"]
    assert [p["date"] for p in printings] == ["1916-07-03", "1916-07-04", "1916-07-05"]
    assert {p["newspaper"] for p in printings} == {
        "The Washington times", "The North Platte semi-weekly tribune", "Norwich bulletin"}
    assert wire[0]["date"] == "1916-07-03"  # shown as its earliest printing
    # The shown printing keeps the better hit's score, and the explanation's shares add up to it.
    explained = _json(capsys, ["search", "troopers Carrizal prisoners released border", "--json", "--explain"])
    for r in explained["results"]:
        comps = r["explanation"]["components"]
        shares = [c["fused_part"] for name, c in comps.items() if name != "fused" and c["fused_part"] is not None]
        assert sum(shares) == pytest.approx(r["score"], rel=1e-5), (r["title"], comps)


def test_unrelated_stories_are_not_grouped(indexed, capsys):
    out = _json(capsys, ["search", "Persia submarine Lansing", "--json"])
    assert out["results"][0]["date"] == "1916-01-05"
    assert len(out["results"][0].get("printings", [])) <= 1


def test_entity_facet_filters_and_facets_command(indexed, capsys):
    facets = _json(capsys, ["facets", "--json"])
    assert facets["date_range"] == {"first": "1916-01-05", "last": "1916-07-05"}
    assert (facets["documents"], facets["n_newspapers"], facets["n_places"]) == (4, 3, 3)
    assert {n["value"] for n in facets["newspapers"]} == {
        "The Washington times", "The North Platte semi-weekly tribune", "Norwich bulletin"}
    assert "North Platte, Nebraska" in {p["value"] for p in facets["places"]}
    persons = {e["value"] for e in facets["entities"]["PER"]}
    assert "PER:Lansing" in persons or "PER:Wilson" in persons
    name = "PER:Lansing" if "PER:Lansing" in persons else "PER:Wilson"
    out = _json(capsys, ["search", "passenger ships officers", "--entity", name, "--json"])
    assert out["results"] and all(r["date"] == "1916-01-05" for r in out["results"])
    out = _json(capsys, ["search", "fair", "--place", "Nebraska", "--json"])
    assert [r["place"] for r in out["results"]] == ["North Platte, Nebraska"]


def test_parallels_from_stdin(indexed, capsys, monkeypatch):
    import io

    modern = "General Miller said the soldiers captured by the rebels were released at the frontier today."
    monkeypatch.setattr("sys.stdin", io.StringIO(modern))
    out = _json(capsys, ["parallels", "-", "--json"])
    assert "Miller" not in out["masked_query"]
    assert out["results"] and all(r["kind"] == "news" for r in out["results"])
    assert "1916-07-0" in out["results"][0]["date"]
