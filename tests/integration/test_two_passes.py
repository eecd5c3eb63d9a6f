"""Two passes through the real model path (a tiny BERT built here): words first, meaning after, resumable.

- pass 1 (``--lexical-only``) makes files searchable by words, results say ``ready: words``;
- a later run with a model reads no file again and adds vectors to every passage (``ready: meaning``);
- a dropped folder is searchable by words before any model loads (the order of events);
- pass 2 killed at any of its write boundaries (app.faults.PASS2: the table swap and the batch writes)
  resumes on the next run with nothing embedded twice, and the index stays searchable by words in between.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app import catalog
from app.commands.status import passes
from app.config import Settings
from app.embed import build_embedder, forget_loaded_models
from app.faults import PASS2
from app.index_run import index_paths
from app.search.engine import Searcher
from app.session import make_searcher
from app.store import Store
from tests.fixtures.tiny_models import make_tiny_bert

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> Path:
    return make_tiny_bert(tmp_path_factory.mktemp("built") / "tiny-text")


def with_model(home: Path, tiny_bert: Path) -> Settings:
    """Settings with the tiny text model imported into ``home``'s cache (no vocabulary or image model)."""
    from models.resolve import import_folder

    import_folder("text", tiny_bert, home / "models", id="tiny-text")
    settings = Settings(text_model="tiny-text", passage_chars=200)
    settings.save(home)
    forget_loaded_models()
    return settings


def token(i: int) -> str:
    return "qx" + "".join("abcdefghij"[int(c)] for c in f"{i:04d}")


def index_counting_embeddings(folder: Path, settings: Settings):
    """Index ``folder`` with the real embedder; returns the report and the passage ids it embedded, in order."""
    embedder = build_embedder(settings)
    encoded: list[str] = []
    real_embed = embedder.embed

    def counting_embed(rows, on_progress=None):
        encoded.extend(r["passage_id"] for r in rows)
        return real_embed(rows, on_progress)

    embedder.embed = counting_embed
    return index_paths([folder], settings, embedder=embedder), encoded


def make_tree(folder: Path, n_files: int, sentences: int = 8) -> Path:
    """Files of several ~200-character passages, every sentence with its own word (no two passages alike)."""
    folder.mkdir()
    for f in range(n_files):
        text = " ".join(f"The ship {token(f * 100 + s)} sailed from the harbour at dawn." for s in range(sentences))
        (folder / f"log{f:02d}.txt").write_text(text, encoding="utf-8")
    return folder


def test_words_first_then_meaning_without_reading_files_again(home, tmp_path, tiny_bert):
    folder = make_tree(tmp_path / "tree", 3)
    first = index_paths([folder], Settings(passage_chars=200), use_models=False)
    store = Store(home)
    total = store.passages.count_rows()
    assert first.indexed == 3 and first.enriched == 0 and first.meaning_pending == total > 3
    assert passes(store)["meaning"] == 0
    hit = Searcher(store).search(token(101), k=3).results
    assert [r.to_json()["ready"] for r in hit] == ["words"]

    settings = with_model(home, tiny_bert)
    second = index_paths([folder], settings)
    store = Store(home)
    assert second.indexed == 0 and second.unchanged == 3  # no file was read again
    assert second.enriched == total and second.meaning_pending == 0
    rows = store.passage_rows("true", ["vec_text", "enriched"])
    assert all(r["vec_text"] is not None and r["enriched"] == store.enrich_key() for r in rows)
    assert passes(store) == {"words": total, "meaning": total, "pending": 0, "eta_s": None}
    hit = make_searcher(store, settings).search(token(101), k=3).results
    assert hit[0].path == str(folder / "log01.txt") and hit[0].to_json()["ready"] == "meaning"
    assert hit[0].scores.get("dense") is not None
    # Nothing left to do: the catalog alone says so, before LanceDB or a model would load.
    assert catalog.quick_noop([folder], settings, home, use_models=True) == {"seen": 3, "unchanged": 3}
    (folder / "log02.txt").write_text("The harbour master changed his log entirely today.", encoding="utf-8")
    assert catalog.quick_noop([folder], settings, home, use_models=True) is None


def test_touched_files_with_unchanged_content_keep_their_meaning(home, tmp_path, tiny_bert):
    """A new modification time alone (a copy over itself, a restore from backup) embeds nothing again."""
    import numpy as np

    folder = make_tree(tmp_path / "tree", 3)
    settings = with_model(home, tiny_bert)
    index_paths([folder], settings)
    before = {r["passage_id"]: r for r in Store(home).passage_rows("true", ["passage_id", "vec_text", "enriched"])}
    for f in folder.iterdir():
        os.utime(f, (f.stat().st_atime, f.stat().st_mtime + 86_400 * 400))  # touched: a year later
    (folder / "log02.txt").write_text("The harbour master changed his log entirely today.", encoding="utf-8")

    report, encoded = index_counting_embeddings(folder, settings)
    store = Store(home)
    log02 = {r["doc_id"] for r in store.document_rows(["doc_id", "path"]) if r["path"].endswith("log02.txt")}
    assert report.unchanged == 2 and report.indexed == 1 and report.meaning_pending == 0
    assert encoded and {p.split(":")[0] for p in encoded} == log02  # only the changed file was embedded
    after = {r["passage_id"]: r for r in store.passage_rows("true", ["passage_id", "doc_id", "vec_text", "enriched",
                                                                      "date"])}
    kept = [p for p in after if after[p]["doc_id"] not in log02]
    assert kept and set(kept) == {p for p in before if p.split(":")[0] not in log02}
    for p in kept:
        assert after[p]["enriched"] == before[p]["enriched"] == store.enrich_key()
        assert np.array_equal(after[p]["vec_text"], before[p]["vec_text"])
    # The rows say what a fresh index would: the new modification time, and the date taken from it.
    new_day = {r["path"]: r["date"] for r in store.document_rows(["path", "date"])}
    assert {after[p]["date"] for p in kept} <= set(new_day.values())
    assert catalog.quick_noop([folder], settings, home, use_models=True) == {"seen": 3, "unchanged": 3}
    assert make_searcher(store, settings).search(token(101), k=3).results[0].path == str(folder / "log01.txt")
    ids = [r["passage_id"] for r in store.passage_rows("true", ["passage_id"])]
    assert len(ids) == len(set(ids))


# Two of app.faults.PASS2 (each case starts a process that imports torch): a crash in the middle of the
# table swap, and one after a batch of vectors was written. "swap-written" and "enrich-documents" pass
# too (LEXISCOPE_ALL_FAULTS=1 runs them).
FAULTS = PASS2 if os.environ.get("LEXISCOPE_ALL_FAULTS") else ("swap-moved", "enrich-passages")


@pytest.mark.parametrize("fault", FAULTS)
def test_killed_pass_two_resumes_with_nothing_embedded_twice(home, tmp_path, tiny_bert, fault):
    folder = make_tree(tmp_path / "tree", 20, sentences=16)
    index_paths([folder], Settings(passage_chars=200), use_models=False)  # pass 1: words only
    settings = with_model(home, tiny_bert)
    # Pass 2 as the CLI runs it on 2+ cores: worker processes embed, the killed process writes.
    env = {**os.environ, "LEXISCOPE_HOME": str(home), "LEXISCOPE_FAULT": fault, "PYTHONPATH": str(ROOT),
           "LEXISCOPE_PASS2_WORKERS": "2"}
    child = subprocess.run([sys.executable, "-m", "app.cli", "index", str(folder)], env=env,
                           capture_output=True, text=True, timeout=600)
    assert child.returncode == -signal.SIGKILL and f"lexiscope fault: {fault}" in child.stderr, child.stderr[-2000:]

    store = Store(home)  # opens (finishing or undoing an interrupted table swap) and searches by words
    all_ids = {r["passage_id"] for r in store.passage_rows("true", ["passage_id"])}
    assert len(all_ids) > 64  # more than one pass-2 batch
    assert [r.path for r in Searcher(store).search(token(1203), k=3).results] == [str(folder / "log12.txt")]
    done = {r["passage_id"] for r in store.passage_rows("enriched != ''", ["passage_id"])}
    if fault == "enrich-passages":
        assert 0 < len(done) < len(all_ids)  # killed after the first batch was written

    report, encoded = index_counting_embeddings(folder, settings)
    assert report.meaning_pending == 0 and not report.cancelled
    assert len(encoded) == len(set(encoded)), "a passage was embedded twice in one run"
    assert set(encoded).isdisjoint(done), "a passage embedded before the kill was embedded again"
    assert set(encoded) | done == all_ids
    store = Store(home)
    assert store.passages.count_rows("vec_text IS NULL") == 0
    assert {r["passage_id"] for r in store.passage_rows("true", ["passage_id"])} == all_ids


def test_searchable_by_words_before_any_model_loads(home, tmp_path, tiny_bert):
    """The order of events a dropped folder goes through: words written and searchable, then models, then meaning."""
    folder = make_tree(tmp_path / "tree", 3)
    settings = with_model(home, tiny_bert)
    events: list[str] = []
    seen_at_loading: list[str] = []

    def on_progress(p) -> None:
        if not events or events[-1] != p.phase:
            events.append(p.phase)
        if p.phase == "loading":
            # Another reader (the window's search process) opens the index while the models load.
            seen_at_loading.extend(r.to_json()["ready"] for r in Searcher(Store(home)).search(token(201), k=3).results)

    report = index_paths([folder], settings, on_progress=on_progress)
    assert seen_at_loading == ["words"]
    assert events.index("indexing") < events.index("loading") < events.index("meaning") < len(events) - 1
    assert events[-1] == "done" and report.meaning_pending == 0


def test_two_passes_index_exactly_as_one_pass(home, tmp_path, tiny_bert):
    """After pass 2 every passage has the vector the one-pass indexer gives it, so search answers alike.

    The two runners batch differently (one pass: a batch of files; pass 2: 64 passages in table order), so
    this holds only if a passage's vector depends on its text alone (models.text: one text per int8 run).
    """
    from app.pipeline import run_index

    folder = tmp_path / "tree"
    folder.mkdir()
    for f in range(12):  # passages of different lengths, so batch mates and padding differ between runners
        words = " ".join(f"{token(f * 50 + s)} harbour" + " tide" * (s % 7) + "." for s in range(10 + 4 * f))
        (folder / f"log{f:02d}.txt").write_text(words, encoding="utf-8")
    settings = with_model(home, tiny_bert)
    embedder = build_embedder(settings)
    one = Store(tmp_path / "one", embedder.vector_columns(), embedder.vocab_model)
    with one.lock():
        for _ in run_index(one, [folder], embedder=embedder, passage_chars=settings.passage_chars):
            pass
    index_paths([folder], settings, root=tmp_path / "two", embedder=embedder)
    two = Store(tmp_path / "two")

    def vectors(store):
        return {(r["path"], r["ordinal"]): r["vec_text"] for r in store.passage_rows("true", ["path", "ordinal", "vec_text"])}

    a, b = vectors(one), vectors(two)
    assert len(a) > 64 and a.keys() == b.keys()
    assert all(a[k] == b[k] for k in a), "a passage got a different vector in two passes than in one"
    sa, sb = make_searcher(one, settings), make_searcher(two, settings)
    for q in [token(5), token(260), "harbour tide", "the tide at the harbour", token(555) + " harbour"]:
        assert [r.path for r in sa.search(q, k=10).results] == [r.path for r in sb.search(q, k=10).results]


def test_pass_two_in_worker_processes_writes_what_the_serial_run_writes(home, tmp_path, tiny_bert, monkeypatch):
    """Pass 2 across worker processes (app.enrich_pool) gives every passage the serial run's vector and mark."""
    folder = tmp_path / "tree"
    folder.mkdir()
    for f in range(16):
        words = " ".join(f"{token(f * 90 + s)} harbour" + " tide" * (s % 5) + "." for s in range(20 + 4 * f))
        (folder / f"log{f:02d}.txt").write_text(words + " The same closing line." * 4, encoding="utf-8")
    settings = with_model(home, tiny_bert)
    from app import enrich_pool

    slices_from_workers: list[int] = []
    real_map = enrich_pool.EnrichPool.map_ordered

    def counting_map(self, slices):
        for out in real_map(self, slices):
            slices_from_workers.append(len(out[1]))
            yield out

    monkeypatch.setattr(enrich_pool.EnrichPool, "map_ordered", counting_map)
    rows = {}
    for name, workers in (("serial", "1"), ("pool", "2")):
        monkeypatch.setenv("LEXISCOPE_PASS2_WORKERS", workers)
        index_paths([folder], settings, root=tmp_path / name, use_models=False)
        report = index_paths([folder], settings, root=tmp_path / name)
        assert report.meaning_pending == 0 and report.enriched > 64  # several slices
        store = Store(tmp_path / name)
        rows[name] = {(r["path"], r["ordinal"]): (r["vec_text"], r["enriched"], r["text"])
                      for r in store.passage_rows("true", ["path", "ordinal", "vec_text", "enriched", "text"])}
    assert len(slices_from_workers) > 1 and sum(slices_from_workers) == len(rows["pool"])  # all from the workers
    assert rows["serial"] == rows["pool"]
    assert all(v[0] is not None and v[1] for v in rows["pool"].values())


def test_pass_two_workers_run_their_models_on_one_thread(home, tiny_bert):
    """A worker caps itself at one encoder thread before it loads the models, and loading them (the model
    loader configures threads too) must not raise it: two workers on two cores would run four threads."""
    from app.enrich_pool import EnrichPool
    from models.device import current_threads

    settings = with_model(home, tiny_bert)
    pool = EnrichPool(settings, home, 2)
    try:
        pool.describe()  # a worker's models are loaded (app.embed.build_embedder loads them at start-up)
        threads = pool._pool.apply(current_threads)  # noqa: SLF001 - asked of the worker process itself
    finally:
        pool.close()
    assert threads == 1
