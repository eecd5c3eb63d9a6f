"""The BERT graph written from safetensors (no torch) against transformers' own models, on tiny real BERTs."""

import numpy as np
import pytest

from models import bert_onnx, onnx_text
from models.tokenizer import load

pytestmark = pytest.mark.skipif(not onnx_text.available(), reason="onnxruntime is a dependency; trimmed install")

TEXTS = ["Coffee consumption and the risk of heart disease in older adults.", "Cats!",
         "Photosynthesis converts light into chemical energy " * 12, "A short one."]


def _run(folder, mlm=False):
    from models.ort import onnxruntime

    ort = onnxruntime()
    graph = bert_onnx.build(folder, mlm=mlm)
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    tok = load(str(folder))
    feed = tok.pad(tok.encode(TEXTS, max_length=128))
    return session.run(None, {n: feed[n] for n in bert_onnx.input_names(graph)})[0], feed


def _torch_outputs(folder, feed, mlm=False):
    import torch
    from transformers import AutoModel, AutoModelForMaskedLM

    model = (AutoModelForMaskedLM if mlm else AutoModel).from_pretrained(folder).eval()
    with torch.inference_mode():
        out = model(**{k: torch.from_numpy(v) for k, v in feed.items()})
    if not mlm:
        return out.last_hidden_state.numpy()
    keep = torch.from_numpy(feed["attention_mask"]).bool().unsqueeze(-1)
    return torch.relu(out.logits.masked_fill(~keep, float("-inf")).max(dim=1).values).numpy()


def test_encoder_graph_equals_transformers(tiny_text_dir):
    hidden, feed = _run(tiny_text_dir)
    expected = _torch_outputs(tiny_text_dir, feed)
    real = feed["attention_mask"].astype(bool)  # padded positions are masked out downstream
    np.testing.assert_allclose(hidden[real], expected[real], atol=2e-4)


def test_mlm_graph_equals_transformers_splade_pooling(tiny_mlm_dir):
    pooled, feed = _run(tiny_mlm_dir, mlm=True)
    np.testing.assert_allclose(pooled, _torch_outputs(tiny_mlm_dir, feed, mlm=True), atol=2e-4)


def test_int8_graph_built_without_torch_export_matches_float(tiny_text_dir, tmp_path):
    """The cached int8 graph (written, fused, quantised) keeps the sentence vectors: cosine > 0.99."""
    from models.text import _normalize

    graph = onnx_text.ensure_graph(tiny_text_dir, tmp_path / "g", reduce_range=False)
    int8 = onnx_text.OnnxHidden(graph)
    fp32, feed = _run(tiny_text_dir)
    mask = feed["attention_mask"][..., None]
    pool = lambda h: _normalize((h * mask).sum(1) / mask.sum(1))  # noqa: E731 - mean pooling
    cosine = (pool(int8(feed, 1)) * pool(fp32)).sum(1)
    assert cosine.min() > 0.99, cosine
    import onnx

    ops = {n.op_type for n in onnx.load(str(graph)).graph.node}
    # Attention quantised, GELU and the residual layer norms fused: the fast graph, not a plain one.
    assert {"QAttention", "SkipLayerNormalization"} <= ops and not {"Softmax", "Erf"} & ops, ops


def test_other_architectures_are_refused_with_the_extra_named(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "distilbert"}')
    with pytest.raises(bert_onnx.UnsupportedModel, match=r"lexiscope\[torch\]"):
        bert_onnx.build(tmp_path)
