"""The int8 ONNX Runtime backend of the text encoder, built from a tiny real BERT in the test."""

import os
import warnings

import numpy as np
import pytest

from models import onnx_text
from models.device import current_threads, query_threads
from models.resolve import import_folder
from models.text import TextEncoder

pytestmark = pytest.mark.skipif(not onnx_text.available(), reason="onnxruntime is a dependency; trimmed install")

TEXTS = ["Coffee consumption and the risk of heart disease in older adults.", "Cats!",
         "Photosynthesis converts light into chemical energy " * 12, "A short one."]


@pytest.fixture
def tiny(tiny_text_dir, cache):
    spec = import_folder("text", tiny_text_dir, cache, id="tiny-bert")
    return spec, cache / "text" / "tiny-bert"


def _graph_dirs(cache):
    return sorted(p for p in (cache / "onnx").iterdir() if p.is_dir())


def test_int8_graph_matches_float_model(tiny, cache):
    spec, folder = tiny
    int8 = TextEncoder(spec, folder, precision="int8", cache_dir=cache)
    fp32 = TextEncoder(spec, folder, precision="fp32")
    assert int8.precision == "int8" and int8.model is None  # torch weights not even loaded
    a, b = int8.encode_documents(TEXTS), fp32.encode_documents(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    cosine = (a * b).sum(axis=1)
    assert cosine.min() > 0.97, cosine
    # Same nearest neighbour for each text under both backends.
    assert ((a @ a.T).argsort(1)[:, -2] == (b @ b.T).argsort(1)[:, -2]).all()
    # Explanations' token vectors come from the same graph.
    tokens, offsets, vecs = int8.token_embeddings("Coffee and heart disease")
    assert tokens[:3] == ["coffee", "and", "heart"] and offsets[0] == (0, 6) and vecs.shape == (len(tokens), 32)


def test_graph_is_built_once_and_reused(tiny, cache):
    spec, folder = tiny
    TextEncoder(spec, folder, precision="int8", cache_dir=cache)
    (built,) = _graph_dirs(cache)
    stamp = os.stat(built / onnx_text.GRAPH).st_mtime_ns
    again = TextEncoder(spec, folder, precision="auto", cache_dir=cache)
    assert again.precision == "int8" and _graph_dirs(cache) == [built]
    assert os.stat(built / onnx_text.GRAPH).st_mtime_ns == stamp


def test_damaged_graph_is_rebuilt_not_loaded(tiny, cache):
    spec, folder = tiny
    first = TextEncoder(spec, folder, precision="int8", cache_dir=cache).encode_documents(TEXTS)
    (built,) = _graph_dirs(cache)
    with open(built / onnx_text.GRAPH, "r+b") as fh:  # flip bytes in the middle of the weights
        fh.seek(fh.seek(0, 2) // 2)
        fh.write(b"\x00" * 64)
    again = TextEncoder(spec, folder, precision="int8", cache_dir=cache).encode_documents(TEXTS)
    np.testing.assert_allclose(again, first, atol=1e-6)


def test_other_weights_get_their_own_graph(tiny, cache, tmp_path):
    from tests.fixtures.tiny_models import make_tiny_bert

    spec, folder = tiny
    TextEncoder(spec, folder, precision="int8", cache_dir=cache)
    other_spec = import_folder("text", make_tiny_bert(tmp_path / "other", seed=7), cache, id="tiny-bert-2")
    TextEncoder(other_spec, cache / "text" / "tiny-bert-2", precision="int8", cache_dir=cache)
    assert len(_graph_dirs(cache)) == 2


def test_unwritable_cache_falls_back_to_torch(tiny, tmp_path):
    spec, folder = tiny
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        enc = TextEncoder(spec, folder, precision="auto", cache_dir=blocker)
    assert enc.precision != "int8" and enc.model is not None
    assert "using torch" in enc.backend_note and any("int8 graph unavailable" in str(w.message) for w in caught)
    assert enc.encode_documents(TEXTS).shape == (len(TEXTS), 32)
    with pytest.raises(OSError):  # asked for int8 explicitly: the failure is not hidden
        TextEncoder(spec, folder, precision="int8", cache_dir=blocker)


def test_queries_run_on_one_thread_session(tiny, cache):
    spec, folder = tiny
    enc = TextEncoder(spec, folder, precision="int8", cache_dir=cache)
    enc.encode_documents(TEXTS)
    with query_threads():
        assert current_threads() == 1
        enc.encode_query("coffee")
    assert 1 in enc._onnx._sessions and current_threads() >= 1


def test_a_failed_build_is_not_retried_on_every_start(tiny, cache):
    spec, folder = tiny
    target = onnx_text.graph_folder(cache, spec.id, onnx_text.source_fingerprint(folder, {}),
                                    onnx_text.cpu_has_vnni() is not True)
    target.parent.mkdir(parents=True)
    target.write_text("a file where the graph folder goes: the final rename fails")
    with pytest.warns(RuntimeWarning, match="int8 graph unavailable"):
        first = TextEncoder(spec, folder, precision="auto", cache_dir=cache)
    marker = target.with_name(target.name + onnx_text.FAILED)
    assert first.precision != "int8" and marker.is_file()
    stamp = marker.stat().st_mtime_ns
    with pytest.warns(RuntimeWarning, match="an earlier build failed"):
        again = TextEncoder(spec, folder, precision="auto", cache_dir=cache)
    assert again.precision != "int8" and marker.stat().st_mtime_ns == stamp  # no second build attempt
    marker.unlink()
    target.unlink()
    assert TextEncoder(spec, folder, precision="auto", cache_dir=cache).precision == "int8"


def test_a_failed_build_is_retried_after_a_day_and_leftovers_are_swept(tiny, cache):
    import os
    import time

    spec, folder = tiny
    target = onnx_text.graph_folder(cache, spec.id, onnx_text.source_fingerprint(folder, {}),
                                    onnx_text.cpu_has_vnni() is not True)
    target.parent.mkdir(parents=True)
    marker = target.with_name(target.name + onnx_text.FAILED)
    marker.write_text("OSError: earlier trouble\n")
    old = time.time() - onnx_text.RETRY_AFTER_S - 60
    os.utime(marker, (old, old))
    leftover = target.with_name(target.name + ".k1ll3d")  # the staging folder of a build killed half-way
    leftover.mkdir()
    (leftover / "model.fp32.onnx").write_bytes(b"\0" * 4096)
    assert TextEncoder(spec, folder, precision="auto", cache_dir=cache).precision == "int8"
    assert not marker.exists() and not leftover.exists()


def test_a_full_disk_leaves_no_marker(tiny, cache, monkeypatch):
    import errno

    spec, folder = tiny

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(onnx_text, "_build", disk_full)  # the failure a full disk gives, at the build step
    target = onnx_text.graph_folder(cache, spec.id, onnx_text.source_fingerprint(folder, {}),
                                    onnx_text.cpu_has_vnni() is not True)
    with pytest.raises(OSError):
        onnx_text.ensure_graph(folder, target, reduce_range=True)
    assert not target.with_name(target.name + onnx_text.FAILED).exists()
    assert not [p for p in target.parent.iterdir() if p.is_dir()]  # its staging folder is gone too
