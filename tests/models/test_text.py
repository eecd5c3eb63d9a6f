"""Dense text encoder: shapes, normalisation, pooling, batching order, token vectors."""

import dataclasses

import numpy as np
import pytest

from models.catalog import get_spec
from models.loader import load_encoder
from models.resolve import import_folder
from models.text import TextEncoder, length_batches

TEXTS = ["A short one.", "Coffee consumption and the risk of heart disease in older adults.",
         "", "Photosynthesis converts light into chemical energy " * 20, "Cats!"]


@pytest.fixture
def tiny(tiny_text_dir, cache):
    spec = import_folder("text", tiny_text_dir, cache, id="tiny-bert")
    return TextEncoder(spec, cache / "text" / "tiny-bert", device="cpu", precision="fp32")


def test_length_batches_cover_all_and_respect_budget():
    lengths = [5, 300, 17, 17, 256, 1, 90, 90, 90]
    batches = length_batches(lengths, token_budget=400)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        assert max(lengths[i] for i in batch) * len(batch) <= 400 or len(batch) == 1
    assert lengths[batches[0][0]] == 300  # longest first


def test_shapes_and_unit_length(tiny):
    vecs = tiny.encode_documents(TEXTS)
    assert vecs.shape == (len(TEXTS), 32) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert tiny.encode_documents([]).shape == (0, 32)
    assert tiny.encode_query("coffee").shape == (32,)


def test_batching_does_not_change_results(tiny):
    # Sorting by length and padding per batch must map every vector back to its own text.
    together = tiny.encode_documents(TEXTS, batch_size=2)
    alone = np.stack([tiny.encode_documents([t])[0] for t in TEXTS])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_mean_pooling_matches_direct_computation(tiny):
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny.folder)
    model = AutoModel.from_pretrained(tiny.folder).eval()
    enc = tok(TEXTS[:2], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    expected = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    np.testing.assert_allclose(tiny.encode_documents(TEXTS[:2]), expected, atol=1e-5)


def test_cls_pooling_and_query_prefix(tiny):
    spec = dataclasses.replace(tiny.spec, pooling="cls", query_prefix="Represent this: ")
    enc = TextEncoder(spec, tiny.folder, precision="fp32")
    assert enc.pooling == "cls"
    np.testing.assert_allclose(enc.encode_query("cats"), enc.encode_documents(["Represent this: cats"])[0], atol=1e-6)
    assert not np.allclose(enc.encode_documents(["cats"])[0], tiny.encode_documents(["cats"])[0])


def test_progress_reports_reach_total(tiny):
    seen = []
    tiny.encode_documents(TEXTS, batch_size=2, on_progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (len(TEXTS), len(TEXTS))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_token_embeddings_have_offsets_into_the_text(tiny):
    text = "Lexiscope finds parallels, not names."
    tokens, offsets, vecs = tiny.token_embeddings(text)
    assert len(tokens) == len(offsets) == vecs.shape[0] and vecs.shape[1] == 32
    assert "[CLS]" not in tokens and "[SEP]" not in tokens
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    for token, (start, end) in zip(tokens, offsets):
        assert text[start:end].lower() == token.removeprefix("##")


def test_real_minilm_through_loader(cache):
    enc = load_encoder("text", cache_dir=cache, device="cpu")
    assert enc.spec is get_spec(None, "text") and enc.dim == 384 and enc.max_length == 256
    docs = enc.encode_documents(["Smoking causes lung cancer.", "The recipe needs two eggs and flour."])
    query = enc.encode_query("tobacco and lung tumours")
    assert query @ docs[0] > query @ docs[1] + 0.2
