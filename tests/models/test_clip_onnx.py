"""CLIP towers exported to ONNX (run by ONNX Runtime, numpy preprocessing) against open_clip itself,
on the tiny real-architecture CLIP (ViT-B-32 config shrunk to 2 layers)."""

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("open_clip")

from models import clip_onnx  # noqa: E402
from tests.fixtures.tiny_models import make_tiny_clip  # noqa: E402

TEXTS = ["a photo of a cat", "the harbour strike of 1916", "x"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = make_tiny_clip(tmp_path_factory.mktemp("tiny-clip"))
    out = clip_onnx.export(folder, tmp_path_factory.mktemp("tiny-clip-onnx"))
    return folder, out


def _images():
    rng = np.random.default_rng(0)
    # Odd sizes and aspect ratios: the resize and centre crop must match open_clip's, not just the tower.
    return [Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)) for h, w in ((97, 150), (200, 64), (64, 64))]


def test_image_tower_matches_open_clip(exported):
    import torch

    from models.clip import ClipEncoder

    folder, out = exported
    ref = ClipEncoder.from_dir(folder)
    towers = clip_onnx.OnnxClipTowers(out)
    images = _images()
    expected = ref.encode_images(images)
    got = towers.encode_images(images)
    cosine = (expected * got).sum(1)
    assert cosine.min() >= 0.99, cosine
    # The numpy preprocessing is open_clip's transform, pixel for pixel (up to float rounding).
    theirs = torch.stack([ref.preprocess(im) for im in images]).numpy()
    ours = np.stack([clip_onnx.preprocess(im, towers.info) for im in images])
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_text_tower_matches_open_clip(exported):
    from models.clip import ClipEncoder

    folder, out = exported
    ref = ClipEncoder.from_dir(folder)
    towers = clip_onnx.OnnxClipTowers(out)
    tokens = ref.tokenizer(TEXTS).numpy()
    cosine = (ref.encode_texts(TEXTS) * towers.encode_tokens(tokens)).sum(1)
    assert cosine.min() >= 0.99, cosine
    assert towers.info["dim"] == 32 and towers.info["context_length"] == tokens.shape[1]
