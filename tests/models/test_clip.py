"""ClipEncoder and the vocabulary projection, on tiny random-initialised open_clip models.

The models are real open_clip architectures (ViT-B-32's config, and MobileCLIP-S1's FastViT image
tower with a non-causal text tower) shrunk to a few layers, saved in the Hugging Face open_clip
layout and loaded through ClipEncoder.from_dir -- the same path real weights take. Reference values
come from open_clip's own create_model_and_transforms on the same folder.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import open_clip
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from models.clip import (VOCAB_PROMPT, ClipEncoder, ClipLoadError, ImageReadError,
                         sparsify_similarities)
from models.vocab import VOCAB_SIZE, load_vocab, merge_pieces, readable_word_ids, stop_words

N_WORDS = 200  # vocabulary subset for the projection: keeps the suite fast

LAION_PREPROCESS = {"mean": list(open_clip.OPENAI_DATASET_MEAN),
                    "std": list(open_clip.OPENAI_DATASET_STD),
                    "interpolation": "bicubic", "resize_mode": "shortest"}


def _tiny_vit_cfg() -> dict:
    """ViT-B-32's built-in config, shrunk (same keys, same tokenizer vocabulary and context)."""
    cfg = open_clip.get_model_config("ViT-B-32")
    cfg["embed_dim"] = 32
    cfg["vision_cfg"].update(image_size=64, layers=2, width=64)
    cfg["text_cfg"].update(width=64, heads=2, layers=2)
    return cfg


def _tiny_mobileclip_cfg() -> dict:
    """MobileCLIP-S1's config: real FastViT (timm) image tower, non-causal text tower shrunk."""
    cfg = open_clip.get_model_config("MobileCLIP-S1")
    cfg["embed_dim"] = 32
    cfg["vision_cfg"]["image_size"] = 64
    cfg["text_cfg"].update(width=64, heads=2, layers=2)
    return cfg


def _save_model(folder: Path, model_cfg: dict, preprocess_cfg: dict, seed: int = 0) -> Path:
    """Write config, instantiate it with open_clip (random init), save open_clip_model.safetensors."""
    folder.mkdir(parents=True)
    (folder / "open_clip_config.json").write_text(
        json.dumps({"model_cfg": model_cfg, "preprocess_cfg": preprocess_cfg}), encoding="utf-8")
    torch.manual_seed(seed)
    model = open_clip.create_model(f"local-dir:{folder}", load_weights=False,
                                   pretrained_image=False, pretrained_text=False)
    save_file(model.state_dict(), str(folder / "open_clip_model.safetensors"))
    return folder


def _reference(folder: Path):
    """open_clip's own loader on the same folder: (model, preprocess, tokenizer)."""
    model, _, preprocess = open_clip.create_model_and_transforms(f"local-dir:{folder}")
    return model.eval(), preprocess, open_clip.get_tokenizer(f"local-dir:{folder}")


def _images() -> list[Image.Image]:
    """Distinct synthetic pictures: flat colours, a gradient, stripes, noise, a greyscale image."""
    rng = np.random.default_rng(0)
    grad = np.linspace(0, 255, 96, dtype=np.uint8)
    stripes = np.zeros((80, 96, 3), np.uint8)
    stripes[::8] = 255
    return [
        Image.new("RGB", (90, 70), (220, 30, 30)),
        Image.new("RGB", (70, 90), (20, 40, 230)),
        Image.fromarray(np.stack([np.tile(grad, (80, 1))] * 3, axis=-1)),
        Image.fromarray(stripes),
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)),
        Image.new("L", (50, 50), 128),  # not RGB: must be converted
    ]


@pytest.fixture(scope="module")
def vit_dir(tmp_path_factory) -> Path:
    """A tiny ViT-B-32-shaped model folder in the HF open_clip layout."""
    return _save_model(tmp_path_factory.mktemp("clip") / "tiny-vit", _tiny_vit_cfg(),
                       LAION_PREPROCESS)


@pytest.fixture(scope="module")
def vit(vit_dir) -> ClipEncoder:
    """The tiny ViT loaded through ClipEncoder (vocabulary projection limited, memory cache)."""
    return ClipEncoder.from_dir(vit_dir, max_words=N_WORDS)


def test_shapes_and_normalisation(vit, tmp_path):
    path = tmp_path / "red.png"
    _images()[0].save(path)
    embs = vit.encode_images([*_images(), path], batch_size=4)
    assert vit.dim == 32
    assert embs.shape == (7, 32) and embs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embs, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(embs[-1], embs[0], atol=1e-6)  # the path and the PIL image agree
    texts = vit.encode_texts(["a red square", "stripes", "a rather longer query about the sea"])
    assert texts.shape == (3, 32) and texts.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    assert vit.encode_images([]).shape == (0, 32)


def test_model_name(vit_dir):
    assert ClipEncoder.from_dir(vit_dir).model_name == "open_clip-custom"  # shrunk: no built-in
    assert ClipEncoder.from_dir(vit_dir, model_name="ViT-B-32").model_name == "ViT-B-32"


def test_encode_images_is_deterministic(vit):
    first = vit.encode_images(_images())
    second = vit.encode_images(_images()[::-1])[::-1]  # other order, other batch composition
    np.testing.assert_allclose(first, second, atol=1e-6)
    # distinct pictures get distinct embeddings
    assert np.abs(first[0] - first[1]).max() > 1e-3


def test_matches_open_clip_reference(vit, vit_dir):
    """Our preprocessing, loading and (trimmed) text path equal open_clip's own pipeline."""
    ref_model, ref_pre, ref_tok = _reference(vit_dir)
    queries = ["red", "a photo of stripes.", "noise on a screen"]
    with torch.no_grad():
        ref_img = ref_model.encode_image(torch.stack([ref_pre(im) for im in _images()]))
        ref_txt = ref_model.encode_text(ref_tok(queries))
    ref_img = torch.nn.functional.normalize(ref_img, dim=-1).numpy()
    ref_txt = torch.nn.functional.normalize(ref_txt, dim=-1).numpy()
    imgs, txts = vit.encode_images(_images()), vit.encode_texts(queries)
    np.testing.assert_allclose(imgs, ref_img, atol=1e-5)
    np.testing.assert_allclose(txts, ref_txt, atol=1e-4)
    # a query ranks the images exactly as open_clip's cosine similarity does
    for q in range(len(queries)):
        assert list(np.argsort(-(imgs @ txts[q]))) == list(np.argsort(-(ref_img @ ref_txt[q])))


def test_bad_image_raises_clear_error(vit, tmp_path):
    bad = tmp_path / "holiday.jpg"
    bad.write_bytes(b"this is not a jpeg")
    with pytest.raises(ImageReadError, match="holiday.jpg"):
        vit.encode_images([_images()[0], bad])
    with pytest.raises(ImageReadError, match="missing.png"):
        vit.encode_images([tmp_path / "missing.png"])


def test_vocab_vectors_are_sparse_readable_words(vit):
    vocab = load_vocab()
    readable = set(readable_word_ids(vocab))
    vectors = vit.vocab_vectors(vit.encode_images(_images()), top_k=5, z_min=1.0)
    assert len(vectors) == len(_images())
    assert any(len(ids) for ids, _ in vectors)
    for ids, weights in vectors:
        assert ids.dtype == np.int32 and weights.dtype == np.float32
        assert len(ids) == len(weights) <= 5
        assert len(set(ids.tolist())) == len(ids)
        assert np.all(weights > 0) and np.all(np.diff(weights) <= 0)
        assert all(0 <= i < VOCAB_SIZE and i in readable for i in ids.tolist())
        assert all(vocab[i].isalpha() and len(vocab[i]) >= 3 for i in ids.tolist())


def test_vocab_projection_finds_the_word(vit):
    """An embedding equal to a word's prompt embedding projects onto that word first.

    A random text tower puts every prompt at cosine ~0.98 to every other (z of the word itself is
    only ~1), so the threshold is lowered here; trained towers separate words far more.
    """
    word_ids, matrix = vit.vocab_matrix()
    assert matrix.shape == (N_WORDS, 32) and word_ids.shape == (N_WORDS,)
    vocab = load_vocab()
    for j in (3, 77, 150):
        emb = vit.encode_texts([VOCAB_PROMPT.format(word=vocab[word_ids[j]])])
        (ids, weights), = vit.vocab_vectors(emb, z_min=0.0)
        assert ids[0] == word_ids[j]
        assert 0 < weights[0] < 5  # SPLADE-like scale, not a raw logit


def test_vocab_cache_written_and_reused(vit_dir, tmp_path):
    calls: list[tuple[int, int]] = []
    first = ClipEncoder.from_dir(vit_dir, cache_dir=tmp_path, max_words=50)
    ids1, m1 = first.vocab_matrix(on_progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1] == (50, 50)
    npy, meta = sorted(tmp_path.glob("*.npy")), sorted(tmp_path.glob("*.json"))
    assert len(npy) == 1 and len(meta) == 1
    assert json.loads(meta[0].read_text())["n_words"] == 50

    calls.clear()
    second = ClipEncoder.from_dir(vit_dir, cache_dir=tmp_path, max_words=50)
    ids2, m2 = second.vocab_matrix(on_progress=lambda d, t: calls.append((d, t)))
    assert calls == []  # loaded from disk, not recomputed
    np.testing.assert_array_equal(ids1, ids2)
    np.testing.assert_array_equal(m1, m2)

    # another word list is another cache entry; a damaged cache file is recomputed, not trusted
    ClipEncoder.from_dir(vit_dir, cache_dir=tmp_path, max_words=20).vocab_matrix()
    assert len(list(tmp_path.glob("*.npy"))) == 2
    npy[0].write_bytes(b"garbage")
    third = ClipEncoder.from_dir(vit_dir, cache_dir=tmp_path, max_words=50)
    np.testing.assert_allclose(third.vocab_matrix(on_progress=lambda d, t: calls.append(d))[1], m1,
                               atol=1e-6)
    assert calls


@pytest.mark.parametrize("damage", ["garbage", "truncated", "missing", "wrong_model"])
def test_broken_weights_raise_clear_error(vit_dir, tmp_path, damage):
    folder = tmp_path / "broken"
    shutil.copytree(vit_dir, folder)
    weights = folder / "open_clip_model.safetensors"
    if damage == "garbage":
        weights.write_bytes(b"\x00not a safetensors file" * 10)
    elif damage == "truncated":
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    elif damage == "missing":
        weights.unlink()
    else:  # a complete, valid file of another shape: strict loading must refuse it
        other = _tiny_vit_cfg()
        other["embed_dim"] = 16
        _save_model(tmp_path / "other", other, LAION_PREPROCESS)
        shutil.copy(tmp_path / "other" / "open_clip_model.safetensors", weights)
    with pytest.raises(ClipLoadError, match="open_clip_model.safetensors|no weights"):
        ClipEncoder.from_dir(folder)


def test_missing_or_invalid_config(tmp_path):
    with pytest.raises(ClipLoadError, match="open_clip_config.json"):
        ClipEncoder.from_dir(tmp_path)
    (tmp_path / "open_clip_config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ClipLoadError, match="not a valid open_clip config"):
        ClipEncoder.from_dir(tmp_path)


def test_bin_weights_load_with_weights_only(vit, vit_dir, tmp_path):
    folder = tmp_path / "bin"
    folder.mkdir()
    shutil.copy(vit_dir / "open_clip_config.json", folder)
    from safetensors.torch import load_file
    torch.save(load_file(vit_dir / "open_clip_model.safetensors"),
               folder / "open_clip_pytorch_model.bin")
    from_bin = ClipEncoder.from_dir(folder)
    np.testing.assert_allclose(from_bin.encode_images(_images()), vit.encode_images(_images()),
                               atol=1e-6)


def test_mobileclip_architecture(tmp_path):
    """FastViT (timm) image tower, reparameterised for inference; non-causal text, full length."""
    folder = _save_model(tmp_path / "tiny-mobileclip", _tiny_mobileclip_cfg(),
                         {"mean": [0, 0, 0], "std": [1, 1, 1], "interpolation": "bilinear",
                          "resize_mode": "shortest"})
    enc = ClipEncoder.from_dir(folder, max_words=30)
    ref_model, ref_pre, ref_tok = _reference(folder)
    n_bn = sum(isinstance(m, torch.nn.BatchNorm2d) for m in enc.model.modules())
    assert n_bn < sum(isinstance(m, torch.nn.BatchNorm2d) for m in ref_model.modules())
    with torch.no_grad():
        ref_img = ref_model.encode_image(torch.stack([ref_pre(im) for im in _images()]), True)
        ref_txt = ref_model.encode_text(ref_tok(["a red square"]), normalize=True)
    np.testing.assert_allclose(enc.encode_images(_images()), ref_img.numpy(), atol=1e-4)
    np.testing.assert_allclose(enc.encode_texts(["a red square"]), ref_txt.numpy(), atol=1e-5)
    assert enc._trim_ok is False  # padding matters to a non-causal tower: never trimmed
    assert enc.vocab_matrix()[1].shape == (30, 32)


def test_sparsify_similarities():
    rng = np.random.default_rng(1)
    noise = rng.normal(0.2, 0.01, size=(3, 500))
    noise[0, 7] = 0.35  # one clear outlier (about 12 standard deviations)
    noise[1, [3, 4, 5]] = [0.30, 0.29, 0.12]
    noise[2] = 0.2  # constant row: nothing stands out
    (ids0, w0), (ids1, w1), (ids2, w2) = sparsify_similarities(noise, top_k=24)
    assert ids0.tolist() == [7] and 2.0 < w0[0] < 3.0  # log1p(z - 3)
    assert ids1.tolist() == [3, 4] and w1[0] > w1[1] > 0
    assert len(ids2) == 0 and len(w2) == 0
    # pure noise stays (nearly) empty at the default threshold, at most top_k with a low one
    flat = sparsify_similarities(rng.normal(0.2, 0.01, size=(1, 20000)), top_k=24)[0][0]
    assert len(flat) <= 24
    assert len(sparsify_similarities(noise, top_k=2, z_min=-10, rel_floor=0)[1][0]) == 2


def test_vocabulary():
    vocab = load_vocab()
    assert len(vocab) == VOCAB_SIZE and vocab[0] == "[PAD]" and vocab[1996] == "the"
    ids = readable_word_ids(vocab)
    words = [vocab[i] for i in ids]
    assert 15000 < len(ids) < VOCAB_SIZE
    assert "cat" in words and "photograph" in words
    assert not any(w.startswith("##") or w.startswith("[") for w in words)
    assert not {"the", "and", "which", "because"} & set(words)
    assert all(w.isalpha() and len(w) >= 3 and w not in stop_words() for w in words)


def test_merge_pieces():
    tokens = ["[CLS]", "play", "##ing", "dog", "##gy", "cat", "##s", "##ville", "dog", "[SEP]"]
    weights = [9.0, 1.0, 0.5, 2.0, 0.25, 0.75, 0.1, 1.5, 0.5, 9.0]
    assert merge_pieces(tokens, weights) == [("playing", 1.0), ("doggy", 2.0),
                                             ("catsville", 1.5), ("dog", 0.5)]
    assert merge_pieces(["##ing", "run"], np.array([0.5, 1.0])) == [("ing", 0.5), ("run", 1.0)]
    assert merge_pieces([], []) == []
    with pytest.raises(ValueError):
        merge_pieces(["a", "b"], [1.0])
