"""The Ray runner (app.cluster) on a small real job: the same index as the local indexer, a re-run that
completes half-committed work without duplicates, a read-only ``--index`` location, and a default install
that never imports Ray.

A local Ray cluster (2 CPUs, no dashboard) runs the real stages with tiny real-architecture models; the
tests skip, saying why, only when Ray is not installed or cannot start on the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.embed import forget_loaded_models
from app.index_run import index_paths
from app.session import make_searcher
from app.store import Store
from tests.fixtures.tiny_models import install_tiny_models

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ("harbour strike", "polio quarantine", "wheat storms", "red square", "blue sky", "docks closed")


def _collection(folder: Path) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(7)
    for name in ("red square", "blue sky"):
        Image.fromarray(rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)).save(folder / f"{name}.png")
    (folder / "harbour.txt").write_text("The harbour strike closed the docks for six weeks.\n\n" * 30, encoding="utf-8")
    (folder / "epidemic.txt").write_text("Polio quarantine closed theatres and beaches in summer.\n", encoding="utf-8")
    (folder / "weather.md").write_text("# Weather\n\nA dry spring and July storms ruined the wheat.\n", encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def ray_cluster():
    """One local Ray cluster for the module, or a skip that says why there is none."""
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'lexiscope[cluster]')")
    pytest.importorskip("lance", reason="pylance is not installed (pip install 'lexiscope[cluster]')")
    try:
        ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    except Exception as exc:  # a sandbox without shared memory or sockets: say so rather than fail
        pytest.skip(f"Ray cannot start on this machine: {type(exc).__name__}: {exc}")
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def indexed(ray_cluster, tmp_path_factory):
    """The same folder indexed by the local indexer and by the Ray runner, with the same tiny models."""
    from app.cluster.runner import RayOptions, run_ray_index

    base = tmp_path_factory.mktemp("cluster")
    home = base / "home"
    home.mkdir(mode=0o700)
    mp = pytest.MonkeyPatch()
    mp.setenv("LEXISCOPE_HOME", str(home))
    settings = install_tiny_models(home, base / "built")
    folder = _collection(base / "collection")
    local = base / "local"
    index_paths([folder], settings, root=local)
    cluster = base / "cluster"
    report = run_ray_index([folder], settings, cluster, RayOptions(workers=1, files_per_task=2))
    yield {"home": home, "folder": folder, "local": local, "cluster": cluster, "settings": settings, "report": report}
    forget_loaded_models()
    mp.undo()


def _ids(root: Path) -> tuple[list, list]:
    store = Store(root)
    docs = sorted((r["path"], r["state"], r["kind"], r["n_passages"]) for r in store.document_rows())
    passages = sorted((r["path"], r["ordinal"], r["start"], r["end"]) for r in store.passage_rows("true"))
    return docs, passages


def test_ray_index_has_the_same_documents_passages_and_schema(indexed):
    assert indexed["report"].indexed == 5 and indexed["report"].skipped == 1
    local_docs, local_passages = _ids(indexed["local"])
    docs, passages = _ids(indexed["cluster"])
    assert docs == local_docs
    assert passages == local_passages and len(passages) > 5  # the long file is split into several passages
    a, b = Store(indexed["local"]), Store(indexed["cluster"])
    assert b.vector_columns() == a.vector_columns() and {c.name for c in b.vector_columns()} == {"vec_text", "vec_clip"}
    assert b.vocab_model() == a.vocab_model() == "tiny-mlm"
    assert b.passages.schema.metadata[b"schema_version"] == a.passages.schema.metadata[b"schema_version"]
    vecs = {r["path"]: r for r in b.passage_rows("ordinal = 0", ["path", "vec_text", "vec_clip", "sparse_ids"])}
    assert all(r["sparse_ids"] for r in vecs.values())
    assert vecs[str(indexed["folder"] / "blue sky.png")]["vec_clip"] is not None


def test_ray_index_answers_queries_as_the_local_index(indexed):
    settings = indexed["settings"]
    local = make_searcher(Store(indexed["local"]), settings)
    cluster = make_searcher(Store(indexed["cluster"], read_only=True), settings)
    for q in QUERIES:
        want = [r.path for r in local.search(q, k=10).results]
        assert want, q
        assert [r.path for r in cluster.search(q, k=10).results] == want, q


def test_rerun_completes_a_half_committed_run_without_duplicates(indexed, tmp_path):
    """A driver killed after committing passages but before their documents: the next run redoes those
    files, deleting the orphaned passages first (the kill itself: bench/cluster_kill.py)."""
    import shutil

    from app.cluster.runner import RayOptions, run_ray_index

    root = tmp_path / "copy"
    shutil.copytree(indexed["cluster"], root)
    store = Store(root)
    victim = str(indexed["folder"] / "harbour.txt")
    store.documents.delete(f"path = '{victim}'")  # as if the documents commit never happened
    before = store.passages.count_rows()
    report = run_ray_index([indexed["folder"]], indexed["settings"], root, RayOptions(workers=1, files_per_task=2))
    assert report.indexed == 1 and report.unchanged == 5
    assert _ids(root) == _ids(indexed["local"])
    store = Store(root)
    ids = [r["passage_id"] for r in store.passage_rows("true", ["passage_id"])]
    assert len(ids) == len(set(ids)) == before


def test_index_location_opens_read_only_from_the_cli(indexed, tmp_path):
    env = {"LEXISCOPE_HOME": str(indexed["home"]), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
           "LANCEDB_LOG": "error"}
    out = subprocess.run([sys.executable, "-m", "app.cli", "status", "--json", "--index", str(indexed["cluster"])],
                         env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    status = json.loads(out.stdout)
    assert status["index"] == str(indexed["cluster"]) and status["passages"] == Store(indexed["local"]).counts()["passages"]
    missing = tmp_path / "nothing here"
    out = subprocess.run([sys.executable, "-m", "app.cli", "search", "strike", "--index", str(missing)],
                         env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 2 and "no Lexiscope index" in out.stderr
    assert not missing.exists()  # read-only: nothing was created


def test_default_install_never_imports_ray(tmp_path):
    """Index, search and status in a process that must not load Ray (the cluster extra)."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("The harbour strike closed the docks.\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from app.cli import main\n"
        f"assert main(['index', '--lexical-only', {str(folder)!r}]) == 0\n"
        "assert main(['search', 'harbour', '--json']) == 0\n"
        "assert main(['status']) == 0\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'ray')\n"
        "assert not bad, bad\n"
    )
    env = {"LEXISCOPE_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
           "LANCEDB_LOG": "error"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_missing_ray_says_which_extra_to_install(monkeypatch):
    """With Ray absent, --ray fails with the install command, not a traceback."""
    from app.cluster import ClusterUnavailable, require_ray

    monkeypatch.setitem(sys.modules, "ray", None)  # what an install without the extra looks like to import
    with pytest.raises(ClusterUnavailable, match=r'pip install "lexiscope\[cluster\]"'):
        require_ray()
