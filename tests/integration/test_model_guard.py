"""A broken model the index was built with stops index and search with words naming it and the fix; it
never silently becomes another model (the audit: a garbage manifest made queries use `idf` against SPLADE
vectors, and the next index drop every passage to re-embed with it)."""

from __future__ import annotations

import shutil

import pytest

from app.check import FaultKind, check
from app.cli import main
from app.embed import forget_loaded_models
from app.errors import ModelUnavailable
from app.index_run import index_paths
from app.session import make_searcher
from app.store import Store
from tests.fixtures import corrupt
from models.resolve import import_folder
from tests.fixtures.tiny_models import install_tiny_models, make_tiny_bert


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("guard")
    home = base / "home"
    home.mkdir(mode=0o700)
    settings = install_tiny_models(home, base / "work", roles=("text",))
    # A tiny masked-LM installed as the catalog's splade-tiny (trust on first import), with the vocabulary
    # setting left on "default": the installed SPLADE is preferred over idf, the case where a broken
    # model used to switch silently.
    import_folder("vocab", make_tiny_bert(base / "work" / "mlm", mlm=True), home / "models", id="splade-tiny")
    settings.vocab_model = ""
    settings.save(home)
    docs = base / "docs"
    docs.mkdir()
    (docs / "harbour.txt").write_text("The harbour strike closed the docks for six weeks.\n", encoding="utf-8")
    (docs / "polio.txt").write_text("Polio closed the beaches in July.\n", encoding="utf-8")
    # Indexed here, not by the first test: each test below copies this index and must find it built
    # whichever of them runs alone (pytest -k, a failed test rerun).
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEXISCOPE_HOME", str(home))
        forget_loaded_models()
        index_paths([docs], settings, root=home)
        forget_loaded_models()
    return home, docs, settings


@pytest.fixture
def home(built, tmp_path, monkeypatch):
    src, docs, settings = built
    home = tmp_path / "home"
    shutil.copytree(src, home)
    monkeypatch.setenv("LEXISCOPE_HOME", str(home))
    forget_loaded_models()
    yield home
    forget_loaded_models()


def test_index_records_the_tiny_models(built):
    home, _, _ = built
    store = Store(home)
    assert store.vocab_model() == "splade-tiny" and store.vector_columns()[0].model_id == "tiny-text"


@pytest.mark.parametrize("damage", ["garbage manifest", "deleted"])
def test_broken_vocab_model_stops_index_and_search(damage, home, built, tmp_path, capsys):
    _, docs, settings = built
    before = Store(home).passages.count_rows()
    if damage == "garbage manifest":
        corrupt.garbage_model_manifest(home, "vocab", "splade-tiny")
    else:
        shutil.rmtree(home / "models" / "vocab" / "splade-tiny")
    new = tmp_path / "new"
    new.mkdir()
    (new / "note.txt").write_text("A note about lighthouses.\n", encoding="utf-8")

    with pytest.raises(ModelUnavailable, match="'splade-tiny' this index was built with") as err:
        index_paths([new], settings, root=home)
    assert "lexiscope models import vocab DIR --id splade-tiny" in str(err.value)
    store = Store(home)
    assert store.vocab_model() == "splade-tiny" and store.passages.count_rows() == before  # nothing dropped

    with pytest.raises(ModelUnavailable, match="splade-tiny"):
        make_searcher(store, settings).search("harbour")
    assert main(["search", "harbour"]) == 2
    err_text = capsys.readouterr().err
    assert "splade-tiny" in err_text and "Traceback" not in err_text

    faults = [f for f in check(home).faults if f.kind == FaultKind.MODEL]
    assert faults and "splade-tiny" in faults[0].message


def test_an_explicit_model_choice_is_still_a_documented_change(home, built):
    # Choosing another model on purpose is not blocked by the guard, even when the old one is broken.
    _, docs, settings = built
    corrupt.garbage_model_manifest(home, "vocab", "splade-tiny")
    chosen = type(settings)(**{**settings.__dict__, "vocab_model": "idf"})
    report = index_paths([docs], chosen, root=home)
    assert Store(home).vocab_model() == "idf" and report.enriched > 0
