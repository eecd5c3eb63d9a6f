"""Sparse vocabulary encoders: SPLADE pooling, top-k, inference-free queries, the IDF fallback."""

import json
import math

import numpy as np
import pytest

from models.loader import load_encoder
from models.resolve import import_folder
from models.sparse import (IdfVocabEncoder, MlmVocabEncoder, document_frequencies, idf_formula, sparse_dot,
                           top_k_sparse)

TEXTS = ["Vitamin D deficiency and bone density.", "", "Graphene conducts heat " * 30, "a b c"]


@pytest.fixture(params=["onnx", "torch"])
def mlm(request, tiny_mlm_dir, cache):
    """The masked-LM encoder on both backends: the ONNX graph written from the weights (the default on a
    CPU, no torch) and transformers' model (GPUs, the torch extra)."""
    spec = import_folder("vocab", tiny_mlm_dir, cache, id="splade-tiny")
    enc = MlmVocabEncoder(spec, cache / "vocab" / "splade-tiny", precision="fp32", top_k=16, backend=request.param)
    assert enc.backend == request.param
    return enc


def _direct(folder, texts):
    """log(1+relu(logits)) max-pooled over unmasked positions, computed the plain way."""
    import torch
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForMaskedLM.from_pretrained(folder).eval()
    enc = tok(texts, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        act = torch.log1p(torch.relu(model(**enc).logits))
    act = act * enc["attention_mask"].unsqueeze(-1)
    return act.max(dim=1).values.numpy()


def _dense(vec, size=30522):
    out = np.zeros(size, np.float32)
    out[vec[0]] = vec[1]
    return out


def test_top_k_sparse():
    dense = np.array([0, 3, 0, 1, 2, 2, -1], np.float32)
    ids, w = top_k_sparse(dense)
    assert ids.tolist() == [1, 4, 5, 3] and w.tolist() == [3, 2, 2, 1]
    assert ids.dtype == np.int32 and w.dtype == np.float32
    assert top_k_sparse(dense, 2)[0].tolist() == [1, 4]
    assert sparse_dot((ids, w), (np.array([4, 9], np.int32), np.array([0.5, 7], np.float32))) == 1.0


def test_query_matches_direct_splade_pooling(mlm):
    for text in TEXTS[:3]:
        expected = _direct(mlm.folder, [text])[0]
        np.testing.assert_allclose(_dense(mlm.encode_query(text)), expected, rtol=1e-5, atol=1e-6)


def test_documents_are_top_k_of_the_full_vector(mlm):
    docs = mlm.encode_documents(TEXTS, batch_size=2)
    full = _direct(mlm.folder, TEXTS)  # padded together: the mask must make padding irrelevant
    for (ids, w), row in zip(docs, full):
        assert len(ids) <= 16 and np.all(np.diff(w) <= 0)
        np.testing.assert_allclose(np.sort(w)[::-1], np.sort(row)[::-1][:len(w)], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(row[ids], w, rtol=1e-5, atol=1e-6)
    assert mlm.vocab_size == 30522
    assert mlm.tokens([2003, 1045]) == ["is", "i"]


def test_inference_free_query_uses_idf_table(tiny_mlm_dir, tmp_path, cache):
    import shutil

    folder = tmp_path / "inference-free"
    shutil.copytree(tiny_mlm_dir, folder)
    (folder / "idf.json").write_text(json.dumps({"vitamin": 4.0, "bone": 2.5, "the": 0.1}))
    spec = import_folder("vocab", folder, cache)
    enc = load_encoder("vocab", spec.id, cache_dir=cache)
    ids, w = enc.encode_query("The vitamin and the bone")
    assert enc.tokens(ids) == ["vitamin", "bone", "the"] and w.tolist() == pytest.approx([4.0, 2.5, 0.1])


def test_idf_encoder_formula(cache):
    enc = load_encoder("vocab", cache_dir=cache)  # nothing with weights installed: the IDF fallback
    assert isinstance(enc, IdfVocabEncoder) and enc.vocab_size == 30522
    docs = enc.encode_documents(["cat cat cat dog", "dog bird", "[CLS] fish"])
    cat, dog, bird = (enc.tokenizer.convert_tokens_to_ids(t) for t in ("cat", "dog", "bird"))
    ids, w = docs[0]
    assert ids.tolist() == [cat, dog]
    k1 = enc.k1
    assert w.tolist() == pytest.approx([3 * (k1 + 1) / (3 + k1), 1.0])  # tf=1 saturates to exactly 1
    assert enc.tokens(docs[2][0]) == ["fish"]  # special tokens never become terms
    q_ids, q_w = enc.encode_query("dog dog bird")
    assert dict(zip(q_ids.tolist(), q_w.tolist())) == {dog: 2.0, bird: 1.0}  # idf = 1 before df is known
    df = document_frequencies(docs, enc.vocab_size)
    assert df[dog] == 2 and df[cat] == 1 and df.sum() == 5
    enc.set_document_frequencies(df, len(docs))
    q = dict(zip(*(a.tolist() for a in enc.encode_query("dog dog bird"))))
    assert q[dog] == pytest.approx(2 * math.log1p((3 - 2 + 0.5) / (2 + 0.5)))
    assert q[bird] == pytest.approx(idf_formula(1, 3))
    assert q[bird] > q[dog] / 2  # the rarer term weighs more per occurrence
    with pytest.raises(ValueError):
        enc.set_document_frequencies(np.zeros(5), 3)


def test_idf_encoder_top_k_prefers_rare_terms(cache):
    enc = load_encoder("vocab", "idf", cache_dir=cache)
    text = "alpha beta gamma delta"
    df = np.zeros(enc.vocab_size)
    gamma = enc.tokenizer.convert_tokens_to_ids("gamma")
    df[enc.tokenizer(text, add_special_tokens=False)["input_ids"]] = 5
    df[gamma] = 1
    enc.set_document_frequencies(df, 10)
    ids, _ = enc.encode_documents([text], top_k=1)[0]
    assert ids.tolist() == [gamma]


def test_loader_prefers_an_installed_vocab_model(tiny_mlm_dir, cache):
    import_folder("vocab", tiny_mlm_dir, cache, id="splade-tiny")
    enc = load_encoder("vocab", cache_dir=cache)
    assert isinstance(enc, MlmVocabEncoder) and enc.spec.id == "splade-tiny"
