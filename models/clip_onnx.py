"""CLIP's image and text towers as ONNX graphs, run by ONNX Runtime with numpy preprocessing.

Why a conversion step (and not a graph written by hand as for BERT, :mod:`models.bert_onnx`): CLIP
architectures vary (ViT variants, MobileCLIP's FastViT, SigLIP), and open_clip is the reference for all
of them, so each tower is exported once with ``torch.onnx.export`` from the open_clip model — on the
machine that has the torch extra, or by whoever publishes the model folder — and the folder then runs
anywhere with ONNX Runtime alone. ``tests/models/test_clip_onnx.py`` checks the exported towers against
open_clip on the tiny real-architecture CLIP.

Files written into the model folder: ``image.onnx`` (pixels (batch, 3, H, W) float32 → unit embedding),
``text.onnx`` (token ids (batch, context) int64 → unit embedding) and ``clip_onnx.json`` (image size,
mean/std, interpolation, context length, embedding size).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

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
