"""CLIP image/text encoder (open_clip) and the image -> BERT-vocabulary projection.

A model folder uses the Hugging Face open_clip layout: ``open_clip_config.json`` (``model_cfg`` and
``preprocess_cfg``) next to ``open_clip_model.safetensors`` (or ``open_clip_pytorch_model.bin``,
read only with ``torch.load(weights_only=True)``). Real downloaded weights and the tiny random test
models go through exactly the same code (``ClipEncoder.from_dir``).

Images get sparse vectors in the shared vocabulary (DESIGN.md "One vocabulary space") by comparing
the image embedding with CLIP text embeddings of every readable vocabulary word; see
``sparsify_similarities`` (in :mod:`models.clip_vocab`, shared with the ONNX Runtime encoder of
:mod:`models.clip_onnx`) for how those similarities become a few strong, SPLADE-scaled weights.
bench/README_clip.md records the choices and their measured cost.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import open_clip
import torch
from open_clip.transform import PreprocessCfg, image_transform_v2
from PIL import Image

# Re-exported: callers and tests import these from models.clip.
from models.clip_vocab import (
    CACHE_FORMAT,
    DEFAULT_REL_FLOOR,
    DEFAULT_TOP_K,
    DEFAULT_Z_MIN,
    VOCAB_PROMPT,
    ImageReadError,
    ProgressFn,
    VocabProjection,
    weights_fingerprint,
    sparsify_similarities,
)

log = logging.getLogger(__name__)

CONFIG_FILE = "open_clip_config.json"
WEIGHT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")

__all__ = ["CACHE_FORMAT", "DEFAULT_REL_FLOOR", "DEFAULT_TOP_K", "DEFAULT_Z_MIN", "VOCAB_PROMPT", "ClipEncoder",
           "ClipLoadError", "ImageReadError", "ProgressFn", "sparsify_similarities"]


class ClipLoadError(RuntimeError):
    """A CLIP model folder is missing files, corrupt, or does not match its config."""


@contextmanager
def _quiet_random_init_warning():
    """Hide open_clip's "initialized randomly" log line while we build before loading weights."""

    def _filter(record: logging.LogRecord) -> bool:
        return "initialized randomly" not in record.getMessage()

    root = logging.getLogger()
    root.addFilter(_filter)
    try:
        yield
    finally:
        root.removeFilter(_filter)


def _guess_arch(model_cfg: dict) -> str | None:
    """Name of the built-in open_clip config identical to model_cfg, if any (HF configs omit it)."""
    for name in open_clip.list_models():
        if open_clip.get_model_config(name) == model_cfg:
            return name
    return None


class ClipEncoder(VocabProjection):
    """An open_clip model in eval mode with its image preprocessing and tokenizer."""

    def __init__(self, model, preprocess, tokenizer, *, model_name: str, dim: int, device: str,
                 fingerprint: str, cache_dir: Path | None, max_words: int | None) -> None:
        """Wrap an already-loaded model; use ``from_dir`` to build one."""
        self.model = model
        self.preprocess = preprocess
        self.tokenizer = tokenizer
        self.model_name = model_name
        self.dim = dim
        self.device = device
        self.fingerprint = fingerprint
        self.cache_dir = cache_dir
        self.max_words = max_words
        self.image_size = tuple(open_clip.get_model_preprocess_cfg(model)["size"])
        self._vocab: tuple[np.ndarray, np.ndarray] | None = None
        self._trim_ok: bool | None = None  # None = not yet checked against the full-length path

    @classmethod
    def from_dir(cls, path: Path, *, device: str = "cpu", cache_dir: Path | None = None,
                 model_name: str | None = None, max_words: int | None = None) -> ClipEncoder:
        """Load a model folder in the HF open_clip layout (config + safetensors, strictly).

        ``cache_dir`` holds the vocabulary projection cache (None: keep it in memory only).
        ``model_name`` labels the model (default: the matching built-in open_clip architecture).
        ``max_words`` limits the vocabulary projection to the first N readable words (tests only).
        """
        path = Path(path)
        config_path = path / CONFIG_FILE
        if not config_path.is_file():
            raise ClipLoadError(f"{path} is not an open_clip model folder: {CONFIG_FILE} is missing")
        config_bytes = config_path.read_bytes()
        try:
            config = json.loads(config_bytes)
            model_cfg = config["model_cfg"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ClipLoadError(f"{config_path} is not a valid open_clip config: {exc}") from exc
        weights = next((path / n for n in WEIGHT_FILES if (path / n).is_file()), None)
        if weights is None:
            raise ClipLoadError(f"{path} has no weights: expected one of {', '.join(WEIGHT_FILES)}")

        try:
            with _quiet_random_init_warning():
                # Build from the folder's own config (load_weights=False: we pick and load the file
                # ourselves, so a stray *.pth or *.bin in the folder can never be unpickled).
                # No base-tower downloads: the checkpoint below holds every weight.
                model = open_clip.create_model(f"local-dir:{path}", load_weights=False,
                                               pretrained_image=False, pretrained_text=False)
        except Exception as exc:
            raise ClipLoadError(f"cannot build the model described by {config_path}: {exc}") from exc
        try:
            # strict=True: a checkpoint that does not match the config is an error, not a
            # half-random model. weights_only=True: a .bin is never unpickled as arbitrary code.
            open_clip.load_checkpoint(model, str(weights), strict=True, weights_only=True)
        except Exception as exc:
            raise ClipLoadError(
                f"cannot load CLIP weights from {weights}: {exc}. The file is corrupt, incomplete "
                "or belongs to a different model; delete it and fetch the model again."
            ) from exc
        if any(hasattr(m, "reparameterize") for m in model.modules()):
            # MobileCLIP's FastViT trains with parallel branches that fuse into one conv for
            # inference: same outputs, markedly faster on CPU.
            from timm.utils.model import reparameterize_model

            reparameterize_model(model, inplace=True)
        model = model.to(device).eval().requires_grad_(False)
        pp_cfg = PreprocessCfg(**open_clip.get_model_preprocess_cfg(model))
        preprocess = image_transform_v2(pp_cfg, is_train=False)
        tokenizer = open_clip.get_tokenizer(f"local-dir:{path}")
        return cls(model, preprocess, tokenizer,
                   model_name=model_name or _guess_arch(model_cfg) or "open_clip-custom",
                   dim=int(model_cfg["embed_dim"]), device=device,
                   fingerprint=weights_fingerprint(config_bytes, weights),
                   cache_dir=Path(cache_dir) if cache_dir is not None else None,
                   max_words=max_words)

    def encode_images(self, images: Sequence[Image.Image | Path | str], batch_size: int = 16,
                      ) -> np.ndarray:
        """Embed images (PIL images or paths) -> (n, dim) float32, rows L2-normalised."""
        out = np.empty((len(images), self.dim), dtype=np.float32)
        for start in range(0, len(images), batch_size):
            chunk = images[start:start + batch_size]
            pixels = torch.stack([self.preprocess(self._read_image(im, start + i))
                                  for i, im in enumerate(chunk)]).to(self.device)
            with torch.inference_mode():
                feats = self.model.encode_image(pixels, normalize=True)
            out[start:start + len(chunk)] = feats.float().cpu().numpy()
        return out

    # ----------------------------------------------------------------------------- texts
    def _can_trim(self) -> bool:
        """True if the text tower is causal with EOT pooling, so trailing padding cannot matter."""
        m = self.model
        return (isinstance(m, open_clip.CLIP) and getattr(m, "attn_mask", None) is not None
                and getattr(m, "text_pool_type", "") == "argmax")

    def _encode_trimmed(self, tokens: torch.Tensor) -> torch.Tensor:
        """open_clip's CLIP.encode_text on the tokens up to the batch's longest text only.

        In a causal tower the pooled EOT position never attends to the padding after it, so cutting
        the 77-token context to the ~8 tokens a vocabulary prompt needs gives the same embedding
        ~7x faster on CPU. Checked against the full path once per model (see _encode_tokens).
        """
        m = self.model
        length = int((tokens != 0).sum(dim=1).max())
        tokens = tokens[:, :length]
        cast = m.transformer.get_cast_dtype()
        x = m.token_embedding(tokens).to(cast) + m.positional_embedding[:length].to(cast)
        x = m.transformer(x, attn_mask=m.attn_mask[:length, :length])
        x = m.ln_final(x)
        x = x[torch.arange(x.shape[0], device=x.device), tokens.argmax(dim=-1)]
        x = m.text_projection(x) if isinstance(m.text_projection, torch.nn.Linear) \
            else x @ m.text_projection
        return torch.nn.functional.normalize(x, dim=-1)

    def _encode_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """Embed token ids, through the trimmed fast path when it is proven equal."""
        if self._trim_ok is None:
            self._trim_ok = False
            if self._can_trim():
                try:
                    probe = tokens[:4]
                    full = self.model.encode_text(probe, normalize=True)
                    fast = self._encode_trimmed(probe)
                    self._trim_ok = bool(torch.allclose(full, fast, atol=1e-4))
                except Exception:  # an open_clip internals change: fall back, never fail
                    log.debug("trimmed text path unavailable", exc_info=True)
            log.debug("%s: trimmed text path %s", self.model_name,
                      "on" if self._trim_ok else "off")
        if self._trim_ok:
            return self._encode_trimmed(tokens)
        return self.model.encode_text(tokens, normalize=True)

    def encode_texts(self, texts: Sequence[str], batch_size: int = 128,
                     on_progress: ProgressFn | None = None) -> np.ndarray:
        """Embed texts with the CLIP text tower -> (n, dim) float32, rows L2-normalised."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            chunk = list(texts[start:start + batch_size])
            with torch.inference_mode():
                tokens = self.tokenizer(chunk).to(self.device)
                out[start:start + len(chunk)] = self._encode_tokens(tokens).float().cpu().numpy()
            if on_progress is not None:
                on_progress(start + len(chunk), len(texts))
        return out
