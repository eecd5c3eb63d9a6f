"""CLIP image/text encoder (open_clip) and the image -> BERT-vocabulary projection.

A model folder uses the Hugging Face open_clip layout: ``open_clip_config.json`` (``model_cfg`` and
``preprocess_cfg``) next to ``open_clip_model.safetensors`` (or ``open_clip_pytorch_model.bin``,
read only with ``torch.load(weights_only=True)``). Real downloaded weights and the tiny random test
models go through exactly the same code (``ClipEncoder.from_dir``).

Images get sparse vectors in the shared vocabulary (DESIGN.md "One vocabulary space") by comparing
the image embedding with CLIP text embeddings of every readable vocabulary word; see
``sparsify_similarities`` for how those similarities become a few strong, SPLADE-scaled weights.
bench/README_clip.md records the choices and their measured cost.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import open_clip
import torch
from open_clip.transform import PreprocessCfg, image_transform_v2
from PIL import Image, ImageOps

from models.vocab import load_vocab, readable_word_ids

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]

CONFIG_FILE = "open_clip_config.json"
WEIGHT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")

# "a photo of {word}." -- CLIP saw captions, not lone words: a template lifts zero-shot accuracy over
# the bare label (Radford et al. 2021, sec. 3.1.4) and disambiguates ("boxer", "crane"). We drop the
# article of the usual "a photo of a {}." because the vocabulary is mostly not singular count nouns
# ("a photo of a running", "... of a cats", "... of a snow" read wrong). One template, not the
# 80-template ensemble: the one-off cost is already ~21k text encodes per model.
VOCAB_PROMPT = "a photo of {word}."
CACHE_FORMAT = 1  # bump when the cached matrix's meaning changes (prompt handling, word list rules)

# Sparsification defaults (see sparsify_similarities). Z_MIN = 3: a word must stand three standard
# deviations above this image's mean word similarity -- under a normal tail that lets ~0.1% of
# 21k words through, so what survives is a handful of genuinely aligned words.
DEFAULT_TOP_K = 24
DEFAULT_Z_MIN = 3.0
DEFAULT_REL_FLOOR = 0.2


class ClipLoadError(RuntimeError):
    """A CLIP model folder is missing files, corrupt, or does not match its config."""


class ImageReadError(ValueError):
    """An image could not be opened or decoded."""


def sparsify_similarities(
    sims: np.ndarray,
    top_k: int = DEFAULT_TOP_K,
    *,
    z_min: float = DEFAULT_Z_MIN,
    rel_floor: float = DEFAULT_REL_FLOOR,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Turn (n, n_words) image-word cosines into sparse (column index, weight) pairs per row.

    1. Standardise each row: z = (s - mean) / std over all words. Subtracting the mean removes what
       every prompt shares ("a photo of ...") and how photo-like the image is in general; dividing by
       the std makes the scale model-independent (CLIP cosines sit in a narrow band whose place and
       width differ by model and by image).
    2. weight = log(1 + relu(z - z_min)), SPLADE's own saturation (log(1+relu(x))), so image
       weights live on the scale of SPLADE term weights: 0 at the threshold, ~1.1 at z = 5, ~1.6 at
       z = 7, ~2.2 at z = 11. A query term weight times these gives contributions comparable to text.
    3. Keep only weights >= rel_floor * the row's best weight, then the top_k largest.
    We do not use a softmax: it needs the model's temperature (logit_scale differs by family and is
    meaningless for untrained weights) and it splits a fixed mass between synonyms ("cat", "cats",
    "kitten"), making each one weak; here every word's weight stands on its own evidence.
    Returned indices are sorted by decreasing weight; weights are float32 and > 0.
    """
    sims = np.asarray(sims, dtype=np.float64)
    if sims.ndim != 2:
        raise ValueError(f"expected a 2-D similarity matrix, got shape {sims.shape}")
    mean = sims.mean(axis=1, keepdims=True)
    std = sims.std(axis=1, keepdims=True)
    # A constant row (degenerate model) has no outliers; the epsilon keeps it at z = 0, not NaN.
    z = (sims - mean) / np.maximum(std, 1e-12)
    weights = np.log1p(np.maximum(z - z_min, 0.0))
    out: list[tuple[np.ndarray, np.ndarray]] = []
    for row in weights:
        k = min(top_k, row.size)
        idx = np.argpartition(-row, k - 1)[:k] if k > 0 else np.empty(0, dtype=np.int64)
        idx = idx[np.argsort(-row[idx], kind="stable")]
        vals = row[idx]
        keep = vals > 0
        if keep.any():
            keep &= vals >= rel_floor * vals[0]
        out.append((idx[keep].astype(np.int32), vals[keep].astype(np.float32)))
    return out


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


def _weights_fingerprint(config_bytes: bytes, weights: Path) -> str:
    """A cheap identity for cache keys: config + file size + 16 sampled 64 KiB chunks of the weights.

    This keys a cache, it does not verify downloads (the resolver checks pinned sha256 sums);
    hashing a 600 MB file on every start would cost seconds for no benefit here.
    """
    h = hashlib.sha256(config_bytes)
    size = weights.stat().st_size
    h.update(str(size).encode())
    with weights.open("rb") as f:
        for i in range(16):
            f.seek(size * i // 16)
            h.update(f.read(1 << 16))
    return h.hexdigest()


def _guess_arch(model_cfg: dict) -> str | None:
    """Name of the built-in open_clip config identical to model_cfg, if any (HF configs omit it)."""
    for name in open_clip.list_models():
        if open_clip.get_model_config(name) == model_cfg:
            return name
    return None


class ClipEncoder:
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
                   fingerprint=_weights_fingerprint(config_bytes, weights),
                   cache_dir=Path(cache_dir) if cache_dir is not None else None,
                   max_words=max_words)

    # ----------------------------------------------------------------------------- images
    def _read_image(self, item: Image.Image | Path | str, index: int) -> Image.Image:
        """Open (if a path), orient by EXIF and convert to RGB; raise ImageReadError on failure."""
        name = str(item) if not isinstance(item, Image.Image) else f"image #{index}"
        try:
            if isinstance(item, Image.Image):
                image = item
            else:
                image = Image.open(item)
                if image.format == "JPEG":
                    # Decode big JPEGs at a reduced DCT scale (still >= 2x the model input, so the
                    # bicubic resize that follows anti-aliases): several times faster for photos.
                    side = 2 * max(self.image_size)
                    image.draft("RGB", (side, side))
                image.load()
            # Phone photos store rotation in EXIF; CLIP sees the scene upright as the user does.
            return ImageOps.exif_transpose(image).convert("RGB")
        except Exception as exc:
            raise ImageReadError(f"cannot read {name}: {type(exc).__name__}: {exc}") from exc

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

    # ----------------------------------------------------------------------------- vocabulary
    def _vocab_words(self) -> tuple[np.ndarray, list[str]]:
        vocab = load_vocab()
        ids = readable_word_ids(vocab)
        if self.max_words is not None:
            ids = ids[:self.max_words]
        return np.asarray(ids, dtype=np.int32), [vocab[i] for i in ids]

    def vocab_matrix(self, on_progress: ProgressFn | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(word_ids int32, (n_words, dim) float32 CLIP text embeddings of the vocabulary prompts).

        Computed once per model (minutes on CPU; ``on_progress(done, total)`` reports it and may
        raise to cancel, leaving no partial cache), then cached in cache_dir as .npy + .json.
        """
        if self._vocab is not None:
            return self._vocab
        word_ids, words = self._vocab_words()
        key_src = json.dumps([CACHE_FORMAT, self.fingerprint, VOCAB_PROMPT, word_ids.tolist()])
        key = hashlib.sha256(key_src.encode()).hexdigest()
        safe_name = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.model_name)
        stem = f"clip_vocab_{safe_name}_{key[:16]}"
        matrix = self._load_cached(stem, key, len(word_ids)) if self.cache_dir else None
        if matrix is None:
            prompts = [VOCAB_PROMPT.format(word=w) for w in words]
            matrix = self.encode_texts(prompts, on_progress=on_progress)
            if self.cache_dir is not None:
                self._save_cache(stem, key, matrix)
        self._vocab = (word_ids, matrix)
        return self._vocab

    def _load_cached(self, stem: str, key: str, n_words: int) -> np.ndarray | None:
        """The cached matrix if its json sidecar matches this model and word list, else None."""
        meta_path = self.cache_dir / f"{stem}.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("key") != key:
                return None
            matrix = np.load(self.cache_dir / f"{stem}.npy", allow_pickle=False)
        except (OSError, ValueError):
            return None  # absent or damaged: recompute and overwrite
        if matrix.shape != (n_words, self.dim) or matrix.dtype != np.float32:
            return None
        return matrix

    def _save_cache(self, stem: str, key: str, matrix: np.ndarray) -> None:
        """Write .npy then .json atomically (temp file + rename): a crash never leaves a half file."""
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        meta = {"format": CACHE_FORMAT, "key": key, "model_name": self.model_name,
                "model_fingerprint": self.fingerprint, "prompt": VOCAB_PROMPT,
                "n_words": int(matrix.shape[0]), "dim": self.dim}
        for suffix, write in ((".npy", lambda f: np.save(f, matrix, allow_pickle=False)),
                              (".json", lambda f: f.write(json.dumps(meta, indent=1).encode()))):
            final = self.cache_dir / f"{stem}{suffix}"
            tmp = final.with_name(final.name + ".tmp")
            with tmp.open("wb") as f:
                write(f)
            os.replace(tmp, final)

    def vocab_vectors(self, image_embs: np.ndarray, top_k: int = DEFAULT_TOP_K, *,
                      z_min: float = DEFAULT_Z_MIN, rel_floor: float = DEFAULT_REL_FLOOR,
                      on_progress: ProgressFn | None = None,
                      ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Sparse BERT-vocabulary vectors for image embeddings: per row (token ids, weights).

        Ids are int32 BERT-uncased ids of readable words, weights float32 > 0 on SPLADE's scale,
        at most top_k per image, strongest first (see ``sparsify_similarities``).
        """
        word_ids, matrix = self.vocab_matrix(on_progress=on_progress)
        embs = np.asarray(image_embs, dtype=np.float32).reshape(-1, self.dim)
        sparse = sparsify_similarities(embs @ matrix.T, top_k, z_min=z_min, rel_floor=rel_floor)
        return [(word_ids[cols], weights) for cols, weights in sparse]
