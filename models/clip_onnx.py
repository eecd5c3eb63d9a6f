"""CLIP's image and text towers as ONNX graphs, run by ONNX Runtime with numpy preprocessing.

Why a conversion step (and not a graph written by hand as for BERT, :mod:`models.bert_onnx`): CLIP
architectures vary (ViT variants, MobileCLIP's FastViT, SigLIP), and open_clip is the reference for all
of them, so each tower is exported once with ``torch.onnx.export`` from the open_clip model — on the
machine that has the torch extra, or by whoever publishes the model folder — and the folder then runs
anywhere with ONNX Runtime alone. ``tests/models/test_clip_onnx.py`` checks the exported towers against
open_clip on the tiny real-architecture CLIP.

Files written into the model folder: ``image.onnx`` (pixels (batch, 3, H, W) float32 → unit embedding),
``text.onnx`` (token ids (batch, context) int64 → unit embedding), ``clip_onnx.json`` (image size,
mean/std, interpolation, context length, embedding size) and ``tokenizer.json`` (open_clip's BPE for the
`tokenizers` library, :mod:`models.clip_tokenizer`). A folder holding them is loaded by
:class:`OnnxClipEncoder` (the loader prefers it on a CPU): no torch, open_clip or ftfy at run time.
Export once, with the torch extra: ``python -m models.clip_onnx MODEL_FOLDER``.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from models.clip_tokenizer import TOKENIZER_FILE, ClipTokenizer
from models.clip_vocab import ProgressFn, VocabProjection, weights_fingerprint

IMAGE_GRAPH = "image.onnx"
TEXT_GRAPH = "text.onnx"
INFO = "clip_onnx.json"
OPSET = 17


def export(folder: Path, out: Path | None = None) -> Path:
    """Export the open_clip model in ``folder`` (HF open_clip layout) to ONNX towers in ``out``
    (default: the same folder). Needs the torch extra (torch + open_clip); returns ``out``."""
    import torch

    from models.clip import ClipEncoder

    out = Path(out or folder)
    out.mkdir(parents=True, exist_ok=True)
    enc = ClipEncoder.from_dir(Path(folder), device="cpu")
    model = enc.model.float().eval()
    import open_clip

    pp = open_clip.get_model_preprocess_cfg(model)
    context = int(getattr(model, "context_length", 77))

    class ImageTower(torch.nn.Module):
        def forward(self, pixels):
            return model.encode_image(pixels, normalize=True)

    class TextTower(torch.nn.Module):
        def forward(self, tokens):
            return model.encode_text(tokens, normalize=True)

    size = tuple(pp["size"]) if isinstance(pp["size"], (list, tuple)) else (pp["size"], pp["size"])
    pixels = torch.zeros(2, 3, *size)
    tokens = torch.zeros(2, context, dtype=torch.long)
    tokens[:, 0], tokens[:, 1] = 1, 2  # any ids: the graph is traced, its values do not matter
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(ImageTower(), (pixels,), str(out / IMAGE_GRAPH), input_names=["pixels"],
                          output_names=["embedding"], dynamic_axes={"pixels": {0: "batch"}, "embedding": {0: "batch"}},
                          opset_version=OPSET, dynamo=False)
        torch.onnx.export(TextTower(), (tokens,), str(out / TEXT_GRAPH), input_names=["tokens"],
                          output_names=["embedding"], dynamic_axes={"tokens": {0: "batch"}, "embedding": {0: "batch"}},
                          opset_version=OPSET, dynamo=False)
    info = {"format": 1, "image_size": list(size), "mean": list(pp["mean"]), "std": list(pp["std"]),
            "interpolation": pp.get("interpolation", "bicubic"), "resize_mode": pp.get("resize_mode", "shortest"),
            "context_length": context, "dim": enc.dim, "model_name": enc.model_name}
    (out / INFO).write_text(json.dumps(info, indent=1), encoding="utf-8")
    from models.clip_tokenizer import from_open_clip

    from_open_clip(enc.tokenizer, out)
    return out


def preprocess(image, info: dict) -> np.ndarray:
    """One RGB PIL image → (3, H, W) float32 as open_clip's eval transform makes it: resize the shorter side
    (bicubic, antialiased), centre crop, scale to [0, 1], normalise by mean/std."""
    from PIL import Image

    height, width = info["image_size"]
    resample = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR}.get(
        info.get("interpolation", "bicubic"), Image.Resampling.BICUBIC)
    if info.get("resize_mode", "shortest") != "shortest" or height != width:
        raise ValueError("only square inputs resized by the shorter side are supported by the ONNX path")
    w, h = image.size
    # torchvision's Resize(int), as open_clip uses it: the shorter side to the size, the longer one scaled
    # and truncated, keeping the aspect ratio.
    new = (width, int(width * h / w)) if w <= h else (int(height * w / h), height)
    image = image.resize(new, resample)
    left, top = int(round((new[0] - width) / 2.0)), int(round((new[1] - height) / 2.0))
    image = image.crop((left, top, left + width, top + height))
    x = np.asarray(image, dtype=np.float32).transpose(2, 0, 1) / 255.0
    mean = np.asarray(info["mean"], np.float32)[:, None, None]
    std = np.asarray(info["std"], np.float32)[:, None, None]
    return (x - mean) / std


class OnnxClipTowers:
    """The exported towers of one model folder: ``encode_pixels`` and ``encode_tokens`` (numpy in and out)."""

    def __init__(self, folder: Path) -> None:
        from models.onnx_text import OnnxRunner

        self.folder = Path(folder)
        self.info = json.loads((self.folder / INFO).read_text(encoding="utf-8"))
        self._image = OnnxRunner(self.folder / IMAGE_GRAPH, ("pixels",), "embedding")
        self._text = OnnxRunner(self.folder / TEXT_GRAPH, ("tokens",), "embedding")

    @staticmethod
    def available(folder: Path) -> bool:
        """Whether ``folder`` holds exported towers."""
        return all((Path(folder) / n).is_file() for n in (IMAGE_GRAPH, TEXT_GRAPH, INFO))

    def encode_pixels(self, pixels: np.ndarray, threads: int = 1) -> np.ndarray:
        """(batch, 3, H, W) preprocessed pixels → (batch, dim) unit embeddings."""
        session = self._image._session(max(1, threads))  # noqa: SLF001 - float input, not token ids
        return session.run(["embedding"], {"pixels": np.asarray(pixels, np.float32)})[0]

    def encode_images(self, images, threads: int = 1) -> np.ndarray:
        """RGB PIL images → (n, dim) unit embeddings."""
        return self.encode_pixels(np.stack([preprocess(im, self.info) for im in images]), threads)

    def encode_tokens(self, tokens: np.ndarray, threads: int = 1) -> np.ndarray:
        """(batch, context) token ids (open_clip's tokenizer output) → (batch, dim) unit embeddings."""
        return self._text({"tokens": tokens}, max(1, threads))


class OnnxClipEncoder(VocabProjection):
    """CLIP on ONNX Runtime: the same interface as :class:`models.clip.ClipEncoder` (``encode_images``,
    ``encode_texts``, ``vocab_vectors``, ``dim``, ``model_name``) from an exported folder, without torch."""

    device = "cpu"

    def __init__(self, folder: Path, *, cache_dir: Path | None = None, max_words: int | None = None) -> None:
        """Load the towers, tokenizer and settings exported into ``folder`` (see :func:`export`)."""
        self.folder = Path(folder)
        self.towers = OnnxClipTowers(self.folder)
        info = self.towers.info
        self.tokenizer = ClipTokenizer(self.folder / TOKENIZER_FILE, info["context_length"])
        self.model_name = info.get("model_name") or "open_clip-custom"
        self.dim = int(info["dim"])
        self.image_size = tuple(info["image_size"])
        # The vocabulary projection cache is keyed by the text tower (what computes it).
        self.fingerprint = weights_fingerprint((self.folder / INFO).read_bytes(), self.folder / TEXT_GRAPH)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.max_words = max_words
        self._vocab = None

    @staticmethod
    def available(folder: Path) -> bool:
        """Whether ``folder`` holds an export this class can load (towers, settings and tokenizer)."""
        return OnnxClipTowers.available(folder) and (Path(folder) / TOKENIZER_FILE).is_file()

    @staticmethod
    def _threads() -> int:
        from models.device import current_threads

        return current_threads()

    def encode_images(self, images: Sequence, batch_size: int = 16) -> np.ndarray:
        """Embed images (PIL images or paths) -> (n, dim) float32, rows L2-normalised."""
        out = np.empty((len(images), self.dim), dtype=np.float32)
        for start in range(0, len(images), batch_size):
            chunk = images[start:start + batch_size]
            pixels = np.stack([preprocess(self._read_image(im, start + i), self.towers.info)
                               for i, im in enumerate(chunk)])
            out[start:start + len(chunk)] = self.towers.encode_pixels(pixels, self._threads())
        return out

    def encode_texts(self, texts: Sequence[str], batch_size: int = 128,
                     on_progress: ProgressFn | None = None) -> np.ndarray:
        """Embed texts with the CLIP text tower -> (n, dim) float32, rows L2-normalised."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            chunk = list(texts[start:start + batch_size])
            out[start:start + len(chunk)] = self.towers.encode_tokens(self.tokenizer(chunk), self._threads())
            if on_progress is not None:
                on_progress(start + len(chunk), len(texts))
        return out


if __name__ == "__main__":  # python -m models.clip_onnx MODEL_FOLDER [OUT]: export once (torch extra)
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python -m models.clip_onnx MODEL_FOLDER [OUT_FOLDER]")
    print(export(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) == 3 else None))
