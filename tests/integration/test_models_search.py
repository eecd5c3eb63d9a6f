"""Search by meaning through the real model path, with tiny models built in the test.

Covers: text → images, image → images, image → related text (via its vocabulary vector), hybrid
scores in the JSON, explanations that add up, a missing image model that is not a crash, and a model
change that re-embeds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.embed import forget_loaded_models, model_status
from app.index_run import index_paths
from app.session import make_searcher
from app.store import Store
from tests.fixtures.tiny_models import install_tiny_models


def _collection(folder: Path) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(1)
    for name in ("red square", "blue sky", "noise"):
        arr = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
        Image.fromarray(arr).save(folder / f"{name}.png")
    (folder / "harbour.txt").write_text("The harbour strike closed the docks for six weeks.\n", encoding="utf-8")
    (folder / "epidemic.txt").write_text("Polio quarantine closed theatres and beaches in summer.\n", encoding="utf-8")
    (folder / "weather.md").write_text("# Weather\n\nA dry spring and July storms ruined the wheat.\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    base = tmp_path_factory.mktemp("models-search")
    home = base / "home"
    home.mkdir()
    mp = pytest.MonkeyPatch()
    mp.setenv("LEXISCOPE_HOME", str(home))
    settings = install_tiny_models(home, base / "built")
    folder = _collection(base / "collection")
    report = index_paths([folder], settings, root=home)
    assert report.indexed == 6 and not report.notes
    yield home, folder, settings
    mp.undo()


def test_index_has_every_vector_kind(indexed):
    home, _, _ = indexed
    store = Store(home)
    assert {c.name for c in store.vector_columns()} == {"vec_text", "vec_clip"}
    assert store.vocab_model() == "tiny-mlm"
    rows = store.passage_rows("true", ["kind", "vec_text", "vec_clip", "sparse_ids"])
    for r in rows:
        assert r["sparse_ids"], r["kind"]
        if r["kind"] == "image":
            assert r["vec_clip"] is not None and r["vec_text"] is None
        else:
            assert r["vec_text"] is not None and r["vec_clip"] is None


def test_text_query_returns_images_and_text(indexed):
    home, _, settings = indexed
    response = make_searcher(Store(home), settings).search("zebra crossing", k=10)
    kinds = {r.kind for r in response.results}
    assert kinds == {"image", "text"}
    assert "clip" in response.mode and "dense" in response.mode
    assert all(r.scores["clip"] is not None for r in response.results if r.kind == "image")


def test_image_query_returns_that_image_first(indexed):
    home, folder, settings = indexed
    searcher = make_searcher(Store(home), settings)
    response = searcher.search("", k=3, image=folder / "blue sky.png")
    assert response.results[0].path == str(folder / "blue sky.png")
    assert response.results[0].scores["clip"] == pytest.approx(1.0, abs=1e-4)
    # Query arithmetic with an image path behaves the same.
    response = searcher.search(f"+1 {folder / 'noise.png'}", k=1)
    assert response.results[0].path == str(folder / "noise.png")


def test_one_search_encodes_each_query_part_once(indexed, monkeypatch):
    home, folder, settings = indexed
    searcher = make_searcher(Store(home), settings)
    models = searcher.retrievers[0].models
    calls = {"image": 0, "vocab": 0}

    def counting(name, method):  # a spy: counts, then runs the real encoder
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return method(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(models.image, "encode_images", counting("image", models.image.encode_images))
    monkeypatch.setattr(models.vocab, "encode_query", counting("vocab", models.vocab.encode_query))
    response = searcher.search(f"zebra +0.5 {folder / 'noise.png'}", k=5, explain=True)
    assert response.results and "clip" in response.mode and "sparse" in response.mode
    # The CLIP, sparse and explanation steps share one image-tower pass and one vocabulary encoding.
    assert calls == {"image": 1, "vocab": 1}
    searcher.search(f"zebra +0.5 {folder / 'noise.png'}", k=5, explain=True)
    assert calls == {"image": 1, "vocab": 1}  # the same query again: nothing re-encoded


def test_explanations_add_up_to_the_sparse_score(indexed):
    home, _, settings = indexed
    searcher = make_searcher(Store(home), settings)
    checked = 0
    for query in ("harbour strike", "polio quarantine beaches", "wheat storms", "docks", "summer weather"):
        response = searcher.search(query, k=6, explain=True)
        for r in response.results:
            exp = r.explanation.to_json()  # the JSON form: what --json and the exports carry
            if r.scores.get("sparse") is None:
                continue
            total = sum(t["contribution"] for t in exp["all_terms"])
            assert total == pytest.approx(r.scores["sparse"], rel=1e-4)
            assert exp["sparse_score"] == pytest.approx(r.scores["sparse"], rel=1e-4)
            # 0 when no passage word is shared (only the model's expansion terms or stop words match).
            assert 0 <= exp["coverage"] <= 1.0 + 1e-6
            for span in exp["spans"]:
                assert 0 <= span["start"] < span["end"] <= len(r.passage_text)
            checked += 1
        assert [r.explanation.dense_spans for r in response.results][:2] == [True, False]
    assert checked >= 5
    from app.explain import dense_spans_for

    spans = dense_spans_for(searcher.explain_context(), "harbour strike", response.results[1])
    assert all(s["kind"] == "dense" and 0 <= s["start"] < s["end"] for s in spans)


def test_json_scores_have_every_component(indexed):
    home, _, settings = indexed
    out = make_searcher(Store(home), settings).search("harbour", k=3).to_json()
    assert set(out["results"][0]["scores"]) >= {"dense", "sparse", "bm25", "fused"}


def test_missing_image_model_is_noted_not_fatal(home, tmp_path):
    settings = install_tiny_models(home, tmp_path / "built", roles=("text",))
    settings.image_model = "clip-vit-b-32-256-datacomp"  # not installed here
    folder = _collection(tmp_path / "c")
    report = index_paths([folder], settings, root=home)
    assert report.indexed == 6
    assert any("image model missing" in n and "lexiscope models" in n for n in report.notes)
    status = {s["role"]: s for s in model_status(settings, home)}
    assert status["image"]["state"] == "missing" and status["text"]["state"] == "ok"
    from app.search.types import Filters

    searcher = make_searcher(Store(home), settings)
    results = searcher.search("red square", k=10).results
    hit = next(r for r in results if r.path == str(folder / "red square.png"))  # found by name
    assert hit.scores["bm25"] is not None and hit.scores["clip"] is None
    images = searcher.search("red square", k=3, filters=Filters(kinds=("image",)), explain=True).results
    assert images[0].path == str(folder / "red square.png")
    # Found by name, and explained by the name's words: they add up to the sparse score.
    exp = images[0].explanation.to_json()
    shown = {w["term"] for w in exp["image_words"]}
    assert {"red", "square"} <= shown and not shown & {"png", "jp", "."}  # words, not file-name debris
    assert sum(t["contribution"] for t in exp["all_terms"]) == pytest.approx(images[0].scores["sparse"], rel=1e-4)


def test_changing_a_model_re_runs_pass_two_only(home, tmp_path):
    settings = install_tiny_models(home, tmp_path / "built", roles=("text",))
    folder = _collection(tmp_path / "c")
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.txt").write_text("A note about lighthouses.\n", encoding="utf-8")
    index_paths([folder], settings, root=home)
    index_paths([other], settings, root=home)
    settings.text_model = "all-minilm-l6-v2"
    forget_loaded_models()
    report = index_paths([folder], settings, root=home)
    # A model change re-runs pass 2 only: no file is read again, and every passage (the other folder's
    # too) gets the new model's vectors.
    assert report.indexed == 0 and any("adding meaning" in n for n in report.notes)
    assert report.enriched == Store(home).passages.count_rows() > 6 and report.meaning_pending == 0
    hits = make_searcher(Store(home), settings).search("lighthouses", k=3).results
    assert hits and hits[0].path == str(other / "note.txt")
    assert Store(home).vector_columns()[0].model_id == "all-minilm-l6-v2"


def test_hybrid_sparse_ranks_what_the_other_components_found(indexed, monkeypatch):
    """In a hybrid search the sparse component scores the passages BM25, dense and CLIP found, with the scores
    the sparse-only search gives them (app.search.retrievers.ModelRetriever.score_candidates)."""
    from app.search.retrievers import ModelRetriever

    home, _, settings = indexed
    searcher = make_searcher(Store(home), settings)
    seen: dict = {}
    real = ModelRetriever.score_candidates

    def spy(self, store, terms, found, depth, options, begun=None):
        seen.update(found=found, begun=begun, out=real(self, store, terms, found, depth, options, begun))
        return seen["out"]

    monkeypatch.setattr(ModelRetriever, "score_candidates", spy)
    compared = 0
    for query in ("harbour strike", "polio quarantine beaches", "wheat storms", "docks"):
        response = searcher.search(query, k=6, mode="hybrid")
        assert "sparse" in response.mode and "sparse" not in seen["found"]
        # BM25's hits were scored beside the dense search; the rest after it.
        assert seen["begun"] is not None and seen["begun"].ids == {row["passage_id"] for row, _ in seen["found"]["bm25"]}
        candidates = {row["passage_id"] for hits in seen["found"].values() for row, _ in hits}
        hits = seen["out"]["sparse"]
        assert hits and {row["passage_id"] for row, _ in hits} <= candidates
        alone = {r.passage_id: r.scores["sparse"] for r in searcher.search(query, k=50, mode="sparse").results}
        for row, score in hits:
            if row["passage_id"] in alone:
                assert score == alone[row["passage_id"]]
                compared += 1
        # The fused results carry those scores.
        by_passage = dict((row["passage_id"], score) for row, score in hits)
        assert all(r.scores["sparse"] == by_passage[r.passage_id] for r in response.results
                   if r.passage_id in by_passage)
    assert compared >= 4
    seen.clear()
    searcher.search("harbour strike", k=6, mode="sparse")  # a sparse-only search ranks every passage itself
    assert seen["out"] == {}
