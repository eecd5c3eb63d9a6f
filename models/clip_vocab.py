"""The torch-free half of CLIP: reading images, the image -> BERT-vocabulary projection and its cache.

Shared by the open_clip encoder (:mod:`models.clip`, torch) and the ONNX Runtime one
(:mod:`models.clip_onnx`): an encoder provides ``encode_texts``, ``dim``, ``model_name``, ``fingerprint``,
``cache_dir``, ``max_words`` and ``image_size``, and gets ``vocab_matrix``/``vocab_vectors`` and
``_read_image`` from :class:`VocabProjection`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from models.vocab import load_vocab, readable_word_ids

ProgressFn = Callable[[int, int], None]

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


def weights_fingerprint(config_bytes: bytes, weights: Path) -> str:
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



class VocabProjection:
    """Image reading and the vocabulary projection, for an encoder with ``encode_texts`` (see module doc)."""

    dim: int
    model_name: str
    fingerprint: str
    cache_dir: Path | None
    max_words: int | None
    image_size: tuple[int, ...]
    _vocab: tuple[np.ndarray, np.ndarray] | None = None

    def encode_texts(self, texts, batch_size: int = 128, on_progress: ProgressFn | None = None) -> np.ndarray:
        """Embed texts with the CLIP text tower -> (n, dim) float32, rows L2-normalised."""
        raise NotImplementedError

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
        cache_dir = self.cache_dir
        matrix = self._load_cached(cache_dir, stem, key, len(word_ids)) if cache_dir else None
        if matrix is None:
            prompts = [VOCAB_PROMPT.format(word=w) for w in words]
            matrix = self.encode_texts(prompts, on_progress=on_progress)
            if cache_dir is not None:
                self._save_cache(cache_dir, stem, key, matrix)
        self._vocab = (word_ids, matrix)
        return self._vocab

    def _load_cached(self, cache_dir: Path, stem: str, key: str, n_words: int) -> np.ndarray | None:
        """The cached matrix if its json sidecar matches this model and word list, else None."""
        meta_path = cache_dir / f"{stem}.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("key") != key:
                return None
            matrix = np.load(cache_dir / f"{stem}.npy", allow_pickle=False)
        except (OSError, ValueError):
            return None  # absent or damaged: recompute and overwrite
        if matrix.shape != (n_words, self.dim) or matrix.dtype != np.float32:
            return None
        return matrix

    def _save_cache(self, cache_dir: Path, stem: str, key: str, matrix: np.ndarray) -> None:
        """Write .npy then .json atomically (temp file + rename): a crash never leaves a half file."""
        cache_dir.mkdir(parents=True, exist_ok=True)
        meta = {"format": CACHE_FORMAT, "key": key, "model_name": self.model_name,
                "model_fingerprint": self.fingerprint, "prompt": VOCAB_PROMPT,
                "n_words": int(matrix.shape[0]), "dim": self.dim}
        for suffix, write in ((".npy", lambda f: np.save(f, matrix, allow_pickle=False)),
                              (".json", lambda f: f.write(json.dumps(meta, indent=1).encode()))):
            final = cache_dir / f"{stem}{suffix}"
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
