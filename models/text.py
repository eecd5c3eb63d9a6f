"""Dense text encoder: a BERT-family encoder + mean (or CLS) pooling + L2 normalisation.

Speed on a small CPU comes from these, each measured in ``bench/text_throughput.py``: texts are
tokenised once and sorted by length, batches are cut by a token budget (many short texts or few long
ones) and padded only to their own longest text, and the forward pass runs on the fastest backend:
on CPU an int8 ONNX Runtime graph with fused attention (:mod:`models.onnx_text`), built once per model
and cached; without ONNX Runtime, or on a GPU, torch under ``inference_mode``, with bfloat16 matmuls
on CPUs that have native bfloat16 (AVX512-BF16 / AMX) while embeddings, layer norms and pooling stay
in float32.
"""

from __future__ import annotations

import importlib.util
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from models.catalog import ModelSpec

ProgressFn = Callable[[int, int], None]
# Tokens per forward pass. Larger batches stop paying off on CPU once a batch no longer fits in
# cache; 16 texts of 256 tokens measured faster than 32 on a 2-core EPYC.
TOKEN_BUDGET = 4096


def cpu_supports_bf16() -> bool:
    """True when oneDNN can run bfloat16 matmuls natively on this CPU (AVX512-BF16 or AMX)."""
    import torch

    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def autocast_dtype(device: str, precision: str):
    """The autocast dtype for ``precision`` ("auto", "fp32", "bf16", "fp16") on ``device``, or None."""
    import torch

    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if precision == "fp16":
        return torch.float16
    if precision != "auto":
        raise ValueError(f"unknown precision {precision!r}")
    if device == "cuda":
        return torch.float16
    if device == "cpu" and cpu_supports_bf16():
        return torch.bfloat16
    return None  # mps and CPUs without bf16 units: float32 is both faster and exact


def choose_backend(device: str, precision: str, cache_dir: Path | None) -> str:
    """"onnx-int8" or "torch" for a text encoder on ``device`` asked for ``precision``.

    Without torch installed (the default install) the CPU always gets "onnx-int8" when it can.
    """
    from models import onnx_text

    if precision == "int8":
        if device != "cpu" or cache_dir is None or not onnx_text.available():
            raise ValueError("int8 text encoding needs the CPU, a model cache folder and onnxruntime")
        return "onnx-int8"
    if precision == "auto" and device == "cpu" and cache_dir is not None and onnx_text.available():
        return "onnx-int8"
    return "torch"


def dtype_name(dtype) -> str:
    """"fp32" for None, else "bf16" / "fp16" for an autocast dtype."""
    return "fp32" if dtype is None else {"torch.bfloat16": "bf16", "torch.float16": "fp16"}.get(str(dtype), str(dtype))


def length_batches(lengths: list[int], token_budget: int = TOKEN_BUDGET, max_batch: int = 256) -> list[list[int]]:
    """Indices grouped into batches of similar length, longest first, each within ``token_budget``."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        # Sorted descending, so the first item of a batch is its longest: padded size = len * count.
        width = lengths[current[0]] if current else lengths[i]
        if current and (width * (len(current) + 1) > token_budget or len(current) >= max_batch):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def _torch_features(torch, features: dict, device: str) -> dict:
    return {k: torch.from_numpy(v).to(device) for k, v in features.items()}


class TextEncoder:
    """Dense sentence embeddings (unit length, float32) from a local model folder.

    Tokenising (``tokenizers``), pooling and normalising (numpy) never need torch; only the torch
    backend (GPUs, or an explicit fp32/bf16/fp16 precision) imports torch and transformers.
    """

    def __init__(self, spec: ModelSpec, folder: Path, *, device: str = "cpu", precision: str = "auto",
                 batch_tokens: int = TOKEN_BUDGET, cache_dir: Path | None = None,
                 file_hashes: dict[str, str] | None = None) -> None:
        """``precision``: "auto" (int8 ONNX on CPU when ``cache_dir`` is given, else the torch
        default), "int8", "fp32", "bf16" or "fp16". ``file_hashes``: the verified sha256 of the model's
        files, which key the cached int8 graph (read from disk when not given)."""
        from models.tokenizer import load

        self.spec = spec
        self.folder = Path(folder)
        self.device = device
        self.batch_tokens = batch_tokens
        self.tokenizer = load(str(self.folder))
        self.config = json.loads((self.folder / "config.json").read_text(encoding="utf-8"))
        self.dim = int(self.config["hidden_size"])
        self.pooling = self._pooling()
        self.max_length = self._max_length()
        self.model: Any = None  # a transformers model on the torch path
        self._onnx = None
        self._dtype = None
        self._torch: Any = None  # the torch module, imported only on the torch path
        self.backend_note = ""
        if cache_dir is not None and choose_backend(device, precision, cache_dir) == "onnx-int8":
            try:
                self._onnx = self._load_onnx(Path(cache_dir), file_hashes or {})
                return
            except Exception as exc:  # noqa: BLE001 - any failure to build: torch still works (if installed)
                if precision == "int8" or importlib.util.find_spec("torch") is None:
                    raise
                self.backend_note = f"int8 graph unavailable ({type(exc).__name__}: {exc}); using torch"
                warnings.warn(self.backend_note, RuntimeWarning, stacklevel=2)
                precision = "auto"
        self._load_torch(precision)

    def _load_torch(self, precision: str) -> None:
        from models.device import use_torch

        torch = use_torch()
        from transformers import AutoModel
        from models.device import quiet_transformers

        quiet_transformers()

        self._torch = torch
        self.model = AutoModel.from_pretrained(self.folder, use_safetensors=True).to(self.device).eval()
        self._dtype = autocast_dtype(self.device, precision)
        if self._dtype is not None:
            # Autocast does not cache weight casts under inference_mode, so it would re-cast every Linear
            # weight on every batch; storing them in the compute dtype once saves ~15% per batch. Layer
            # norms and embeddings stay float32 (autocast runs layer_norm in float32).
            for module in self.model.modules():
                if isinstance(module, torch.nn.Linear):
                    module.to(self._dtype)

    def _load_onnx(self, cache_dir: Path, file_hashes: dict[str, str]):
        from models import onnx_text

        reduce_range = onnx_text.cpu_has_vnni() is not True
        fingerprint = onnx_text.source_fingerprint(self.folder, file_hashes)
        target = onnx_text.graph_folder(cache_dir, self.spec.id, fingerprint, reduce_range)
        return onnx_text.OnnxHidden(onnx_text.ensure_graph(self.folder, target, reduce_range=reduce_range))

    def _pooling(self) -> str:
        """Catalog pooling, or the sentence-transformers pooling config of an imported model."""
        if self.spec.pooling != "mean":
            return self.spec.pooling
        cfg = self.folder / "1_Pooling" / "config.json"
        if cfg.is_file():
            data = json.loads(cfg.read_text(encoding="utf-8"))
            if data.get("pooling_mode_cls_token") and not data.get("pooling_mode_mean_tokens"):
                return "cls"
        return "mean"

    def _max_length(self) -> int:
        """Window in tokens: sentence-transformers' max_seq_length when given (MiniLM was trained at 256)."""
        n = self.spec.max_length
        cfg = self.folder / "sentence_bert_config.json"
        if cfg.is_file():
            n = min(n, int(json.loads(cfg.read_text(encoding="utf-8")).get("max_seq_length", n)))
        return min(n, int(self.config.get("max_position_embeddings", n)))

    @property
    def precision(self) -> str:
        """The compute precision in use: "int8" (ONNX Runtime), "fp32", "bf16" or "fp16"."""
        return "int8" if self._onnx is not None else dtype_name(self._dtype)

    def _features(self, encs) -> dict:
        features = self.tokenizer.pad(encs)
        if not self.config.get("type_vocab_size"):
            features.pop("token_type_ids")  # models without segment embeddings take no such input
        return features

    def _forward(self, features: dict) -> np.ndarray:
        """Last hidden state (batch, tokens, dim) float32 for padded numpy ``features``."""
        if self._onnx is not None:
            from models.device import current_threads

            return self._onnx(features, current_threads())
        torch = self._torch
        batch = _torch_features(torch, features, self.device)
        with torch.inference_mode():
            if self._dtype is not None:
                with torch.autocast(device_type=self.device, dtype=self._dtype):
                    hidden = self.model(**batch).last_hidden_state
            else:
                hidden = self.model(**batch).last_hidden_state
            return hidden.float().cpu().numpy()

    def _pool(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self.pooling == "cls":
            vec = hidden[:, 0]
        else:
            m = mask[..., None].astype(np.float32)
            vec = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return _normalize(vec)

    def encode_documents(self, texts: list[str], batch_size: int = 32,
                         on_progress: ProgressFn | None = None) -> np.ndarray:
        """Embeddings (n, dim) float32, unit length. ``batch_size`` caps texts per batch; the token
        budget usually decides (so short texts batch wider than long ones)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encs = self.tokenizer.encode(list(texts), max_length=self.max_length)
        lengths = [len(e.ids) for e in encs]
        if self._onnx is not None:
            # The int8 graph quantizes activations with one scale per tensor, so a text's vector would depend
            # on its batch mates and their padding (up to 0.03 per component on MiniLM). One text per run
            # makes a vector a function of its text alone — what the content cache, the two passes and the
            # cluster runner rely on — at the same speed on a CPU (160 chronam passages: 72.3 s one by
            # one, 71.8 s batched, measured side by side): padding waste cancels the batching gain.
            batches = [[i] for i in range(len(texts))]
        else:
            batches = length_batches(lengths, self.batch_tokens, max_batch=max(1, batch_size))
        done = 0
        for idx in batches:
            features = self._features([encs[i] for i in idx])
            out[idx] = self._pool(self._forward(features), features["attention_mask"])
            done += len(idx)
            if on_progress is not None:
                on_progress(done, len(texts))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """One query embedding (dim,), with the model's query instruction when it has one."""
        return self.encode_documents([self.spec.query_prefix + text])[0]

    def token_embeddings(self, text: str) -> tuple[list[str], list[tuple[int, int]], np.ndarray]:
        """Contextual token vectors of ``text`` (special tokens dropped), unit length, with each token's
        (start, end) character offsets in ``text``: the pieces of a MaxSim explanation."""
        enc = self.tokenizer.encode([text], max_length=self.max_length)[0]
        keep = np.asarray(enc.special_tokens_mask, dtype=bool) == False  # noqa: E712 - numpy mask
        hidden = self._forward(self._features([enc]))[0]
        vecs = _normalize(hidden[keep]).astype(np.float32)
        tokens = [t for t, k in zip(enc.tokens, keep) if k]
        offsets = [tuple(o) for o, k in zip(enc.offsets, keep) if k]
        return tokens, offsets, vecs


def _normalize(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (as torch.nn.functional.normalize: norms below 1e-12 are clamped)."""
    return (x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)).astype(np.float32)
