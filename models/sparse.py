"""Sparse vectors over the BERT-uncased WordPiece vocabulary (30,522 ids).

Two encoders produce them:

* :class:`MlmVocabEncoder` — a SPLADE/VDR-style masked-LM head. For each vocabulary id ``t``,
  ``w_t = max_i log(1 + relu(logit_{i,t}))`` over the text's (non-padding) token positions ``i``.
* :class:`IdfVocabEncoder` — no weights ("inference-free"): the tokenizer alone. A document's weight
  for a term is its saturated term frequency ``tf·(k1+1) / (tf+k1)`` (k1 = 1.2); a query's weight is
  ``qtf · idf`` with ``idf = ln(1 + (N − df + 0.5) / (df + 0.5))`` from document frequencies the caller
  supplies. The dot product is then BM25 without length normalisation (passages are similar in size).

A :data:`SparseVec` is ``(ids int32, weights float32)``, sorted by weight, largest first; the score of
a document for a query is the dot product over shared ids, and each shared id's ``q_t·d_t`` is the
explanation of a hit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from models.catalog import ModelSpec
from models.text import autocast_dtype, dtype_name, length_batches

SparseVec = tuple[np.ndarray, np.ndarray]
ProgressFn = Callable[[int, int], None]
DEFAULT_TOP_K = 256
# Logits are (tokens × 30,522) floats per batch: 2,048 tokens is 250 MB in float32, which bounds memory.
MLM_TOKEN_BUDGET = 2048


def top_k_sparse(dense: np.ndarray, top_k: int | None = None) -> SparseVec:
    """The non-zero entries of a dense weight row, largest first, at most ``top_k`` (None: all)."""
    nz = np.flatnonzero(dense > 0)
    weights = dense[nz]
    if top_k is not None and len(nz) > top_k:
        part = np.argpartition(-weights, top_k - 1)[:top_k]
        nz, weights = nz[part], weights[part]
    # Ties (common for tf-based weights) are ordered by id so output is deterministic.
    order = np.lexsort((nz, -weights))
    return nz[order].astype(np.int32), weights[order].astype(np.float32)


def sparse_dot(q: SparseVec, d: SparseVec) -> float:
    """Dot product of two sparse vectors."""
    common, qi, di = np.intersect1d(q[0], d[0], assume_unique=True, return_indices=True)
    return float(np.dot(q[1][qi].astype(np.float64), d[1][di]))


def document_frequencies(vectors: list[SparseVec], vocab_size: int) -> np.ndarray:
    """How many of ``vectors`` contain each vocabulary id (int64, length ``vocab_size``)."""
    df = np.zeros(vocab_size, dtype=np.int64)
    for ids, _ in vectors:
        df[ids] += 1
    return df


class MlmVocabEncoder:
    """SPLADE-style sparse encoder from a local masked-LM folder (safetensors weights only).

    On the CPU a BERT masked-LM runs as an fp32 ONNX Runtime graph written from the weights
    (:func:`models.bert_onnx.build` with ``mlm=True``; the max-pooling over positions is inside the
    graph, so only (batch, vocabulary) floats come back): no torch. It stays float32 on purpose —
    sparse weights near zero decide which terms survive top-k, and reduced precision reorders them
    (``bench/sparse_quality.py``). Other architectures, GPUs and bf16 use torch (``lexiscope[torch]``).
    """

    def __init__(self, spec: ModelSpec, folder: Path, *, device: str = "cpu", precision: str = "auto",
                 top_k: int = DEFAULT_TOP_K, batch_tokens: int = MLM_TOKEN_BUDGET, backend: str = "auto") -> None:
        """``precision``: "auto"/"fp32" (float32) or "bf16"/"fp16" (torch only). ``backend``: "auto"
        (ONNX Runtime on the CPU for a BERT, else torch), "onnx" or "torch"."""
        from models.tokenizer import load

        self.spec = spec
        self.folder = Path(folder)
        self.device = device
        self.top_k = top_k
        self.batch_tokens = batch_tokens
        self.tokenizer = load(str(self.folder))
        config = json.loads((self.folder / "config.json").read_text(encoding="utf-8"))
        self.vocab_size = int(config["vocab_size"])
        self.max_length = min(spec.max_length, int(config.get("max_position_embeddings", spec.max_length)))
        self._types = bool(config.get("type_vocab_size"))
        self._onnx = None
        self.model: Any = None  # a transformers model on the torch path
        self._dtype = None
        self._torch: Any = None  # the torch module, imported only on the torch path
        if backend == "auto":
            backend = "onnx" if device == "cpu" and precision in ("auto", "fp32") and _onnx_can_build(config) else "torch"
        if backend == "onnx":
            from models import bert_onnx
            from models.onnx_text import OnnxRunner

            graph = bert_onnx.build(self.folder, mlm=True)
            self._onnx = OnnxRunner(graph.SerializeToString(), tuple(bert_onnx.input_names(graph)), "pooled")
        else:
            from models.device import use_torch

            self._torch = use_torch()
            from transformers import AutoModelForMaskedLM
            from models.device import quiet_transformers

            quiet_transformers()

            self.model = AutoModelForMaskedLM.from_pretrained(self.folder, use_safetensors=True).to(device).eval()
            self._dtype = autocast_dtype(device, "fp32" if precision == "auto" else precision)
        # Inference-free models (OpenSearch doc-v3) weight query tokens by a shipped IDF table instead.
        self.query_idf = self._load_query_idf()

    @property
    def precision(self) -> str:
        """The compute precision in use."""
        return "fp32" if self._onnx is not None else dtype_name(self._dtype)

    @property
    def backend(self) -> str:
        """"onnx" or "torch"."""
        return "onnx" if self._onnx is not None else "torch"

    def _load_query_idf(self) -> np.ndarray | None:
        path = self.folder / "idf.json"
        if not path.is_file():
            return None
        table = json.loads(path.read_text(encoding="utf-8"))
        idf = np.zeros(self.vocab_size, dtype=np.float32)
        vocab = self.tokenizer.get_vocab()
        for token, weight in table.items():
            if token in vocab:
                idf[vocab[token]] = float(weight)
        return idf

    def _features(self, encs) -> dict:
        features = self.tokenizer.pad(encs)
        if not self._types:
            features.pop("token_type_ids")
        return features

    def _weights(self, features: dict) -> np.ndarray:
        """(batch, vocab) max-pooled log(1+relu(logits)) over unmasked positions, float32."""
        if self._onnx is not None:
            from models.device import current_threads

            return np.log1p(self._onnx(features, current_threads())).astype(np.float32)
        torch = self._torch
        with torch.inference_mode():
            batch = {k: torch.from_numpy(v).to(self.device) for k, v in features.items()}
            if self._dtype is not None:
                with torch.autocast(device_type=self.device, dtype=self._dtype):
                    logits = self.model(**batch).logits
            else:
                logits = self.model(**batch).logits
            # log1p and relu are monotonic, so max_i log1p(relu(x_i)) == log1p(relu(max_i x_i)): take the max
            # over positions on the raw logits (padding set to -inf) and apply the activation to (batch, vocab)
            # only, instead of to every (position, vocab) entry.
            mask = batch["attention_mask"].unsqueeze(-1).bool()
            pooled = logits.masked_fill_(~mask, float("-inf")).max(dim=1).values
            return torch.log1p(torch.relu(pooled.float())).cpu().numpy()

    def encode_documents(self, texts: list[str], batch_size: int = 32,
                         on_progress: ProgressFn | None = None, top_k: int | None = None) -> list[SparseVec]:
        """One SparseVec per text, truncated to the ``top_k`` (default ``self.top_k``) largest weights."""
        k = top_k or self.top_k
        result: list[SparseVec] = [(np.zeros(0, np.int32), np.zeros(0, np.float32))] * len(texts)
        if not texts:
            return result
        encs = self.tokenizer.encode(list(texts), max_length=self.max_length)
        lengths = [len(e.ids) for e in encs]
        done = 0
        for idx in length_batches(lengths, self.batch_tokens, max_batch=max(1, batch_size)):
            weights = self._weights(self._features([encs[i] for i in idx]))
            for row, i in enumerate(idx):
                result[i] = top_k_sparse(weights[row], k)
            done += len(idx)
            if on_progress is not None:
                on_progress(done, len(texts))
        return result

    def encode_query(self, text: str) -> SparseVec:
        """The query's full sparse vector (no top-k cut)."""
        if self.query_idf is not None:
            ids = self.tokenizer.ids(text, add_special_tokens=False, max_length=self.max_length)
            dense = np.zeros(self.vocab_size, dtype=np.float32)
            dense[np.unique(np.asarray(ids, dtype=np.int64))] = 1.0
            return top_k_sparse(dense * self.query_idf, None)
        encs = self.tokenizer.encode([text], max_length=self.max_length)
        return top_k_sparse(self._weights(self._features(encs))[0], None)

    def tokens(self, ids) -> list[str]:
        """Vocabulary strings of token ids."""
        return self.tokenizer.convert_ids_to_tokens([int(i) for i in ids])


def _onnx_can_build(config: dict) -> bool:
    """Whether :mod:`models.bert_onnx` can write this model and ONNX Runtime is installed."""
    from models import onnx_text

    return config.get("model_type") == "bert" and config.get("hidden_act", "gelu") == "gelu" \
        and config.get("position_embedding_type", "absolute") == "absolute" and onnx_text.available()


class IdfVocabEncoder:
    """Tokenizer-only sparse encoder: saturated tf for documents, IDF for queries (see module doc)."""

    def __init__(self, spec: ModelSpec, folder: Path, *, k1: float = 1.2, top_k: int = DEFAULT_TOP_K) -> None:
        from models.tokenizer import load

        self.spec = spec
        self.folder = Path(folder)
        self.k1 = k1
        self.top_k = top_k
        # No model window applies: whole passages are tokenised.
        self.tokenizer = load(str(self.folder))
        self.vocab_size = len(self.tokenizer)
        self._special = np.asarray(sorted(self.tokenizer.all_special_ids), dtype=np.int64)
        self.idf: np.ndarray | None = None
        self.n_docs = 0

    def set_document_frequencies(self, df: np.ndarray, n_docs: int) -> None:
        """Set per-id document frequencies over a collection of ``n_docs`` items (for query IDF)."""
        df = np.asarray(df, dtype=np.float64)
        if df.shape != (self.vocab_size,):
            raise ValueError(f"df must have shape ({self.vocab_size},), got {df.shape}")
        n = max(int(n_docs), 0)
        self.n_docs = n
        self.idf = np.log1p((n - df + 0.5) / (df + 0.5)).clip(min=0).astype(np.float32)

    def _counts(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        ids = np.asarray(self.tokenizer.ids(text, add_special_tokens=False), dtype=np.int64)
        ids = ids[~np.isin(ids, self._special)]
        return np.unique(ids, return_counts=True)

    def encode_documents(self, texts: list[str], batch_size: int = 256,
                         on_progress: ProgressFn | None = None, top_k: int | None = None) -> list[SparseVec]:
        """Saturated-tf vectors, top ``top_k`` terms (ties: rarer terms first when IDF is known)."""
        k = top_k or self.top_k
        out: list[SparseVec] = []
        for start in range(0, len(texts), max(1, batch_size)):
            for text in texts[start:start + batch_size]:
                ids, tf = self._counts(text)
                w = (tf * (self.k1 + 1) / (tf + self.k1)).astype(np.float32)
                rank = self.idf[ids] if self.idf is not None else np.zeros(len(ids), np.float32)
                order = np.lexsort((ids, -rank, -w))[:k]
                out.append((ids[order].astype(np.int32), w[order]))
            if on_progress is not None:
                on_progress(len(out), len(texts))
        return out

    def encode_query(self, text: str) -> SparseVec:
        """Query weights ``qtf · idf`` (idf = 1 before :meth:`set_document_frequencies`)."""
        ids, qtf = self._counts(text)
        idf = self.idf[ids] if self.idf is not None else np.ones(len(ids), np.float32)
        dense = np.zeros(self.vocab_size, dtype=np.float32)
        dense[ids] = qtf * idf
        return top_k_sparse(dense, None)

    def tokens(self, ids) -> list[str]:
        """Vocabulary strings of token ids."""
        return self.tokenizer.convert_ids_to_tokens([int(i) for i in ids])


def idf_formula(df: float, n_docs: int) -> float:
    """The query IDF used by :class:`IdfVocabEncoder`, for one term (documentation and tests)."""
    return math.log1p((n_docs - df + 0.5) / (df + 0.5))
