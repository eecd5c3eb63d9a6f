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


def test_tokenizer_json_gives_open_clip_ids(exported):
    from models.clip import ClipEncoder
    from models.clip_tokenizer import ClipTokenizer
    from models.clip_vocab import VOCAB_PROMPT
    from models.vocab import load_vocab, readable_word_ids

    folder, out = exported
    ref = ClipEncoder.from_dir(folder).tokenizer
    vocab = load_vocab()
    texts = [*TEXTS, "", "  Tabs\tand\nNEWLINES  ", "don't we'll they've I'm", "naïve café — Zürich ½ 12345 ☃ 日本語",
             "e-mail: foo@bar.com; (a+b)*c", "word " * 100, "<start_of_text> hi", "a photo of ##ing.",
             *[VOCAB_PROMPT.format(word=vocab[i]) for i in readable_word_ids(vocab)[::7]]]
    ours = ClipTokenizer(out / "tokenizer.json", 77)(texts)
    np.testing.assert_array_equal(ours, ref(texts).numpy())


# Runs in a fresh interpreter where torch, open_clip, transformers and ftfy cannot be imported.
_NO_TORCH = """
import importlib.util, sys, numpy as np
from pathlib import Path
BLOCKED = ("torch", "open_clip", "transformers", "ftfy", "timm")
class Block:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Block())
_find_spec = importlib.util.find_spec
importlib.util.find_spec = lambda name, package=None: (None if name.split(".")[0] in BLOCKED
                                                       else _find_spec(name, package))
from models import load_encoder
from models.clip_onnx import OnnxClipEncoder
cache, work = Path(sys.argv[1]), Path(sys.argv[2])
enc = load_encoder("image", "tiny-clip", cache_dir=cache)
images = sorted(work.glob("*.png"))
small = OnnxClipEncoder(enc.folder, max_words=200)
np.savez(work / "onnx.npz", texts=enc.encode_texts(sys.argv[3:]), images=enc.encode_images(images),
         vocab=small.vocab_matrix()[1], ids=small.vocab_matrix()[0])
print(type(enc).__name__, enc.model_name, enc.dim, sorted(m for m in ("torch", "open_clip") if m in sys.modules))
"""


def test_the_loader_runs_an_exported_folder_without_torch(exported, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from models.clip import ClipEncoder
    from models.resolve import import_folder

    folder, out = exported
    for name in ("open_clip_config.json", "open_clip_model.safetensors"):  # a published folder: weights + export
        (out / name).write_bytes((folder / name).read_bytes())
    cache = tmp_path / "models"
    import_folder("image", out, cache, id="tiny-clip")
    images = _images()
    for i, image in enumerate(images):
        image.save(tmp_path / f"{i}.png")
    repo = Path(__file__).resolve().parents[2]
    run = subprocess.run([sys.executable, "-c", _NO_TORCH, str(cache), str(tmp_path), *TEXTS], cwd=repo,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    ref = ClipEncoder.from_dir(folder, max_words=200)
    assert run.stdout.split() == ["OnnxClipEncoder", ref.model_name, "32", "[]"]
    got = np.load(tmp_path / "onnx.npz")
    assert (got["texts"] * ref.encode_texts(TEXTS)).sum(1).min() >= 0.99
    expected_images = ref.encode_images(sorted(tmp_path.glob("*.png")))
    assert (got["images"] * expected_images).sum(1).min() >= 0.99
    ids, matrix = ref.vocab_matrix()
    np.testing.assert_array_equal(got["ids"], ids)
    assert (got["vocab"] * matrix).sum(1).min() >= 0.99  # 200 vocabulary prompts through both text towers
