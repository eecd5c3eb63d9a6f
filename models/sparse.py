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
    """SPLADE-style sparse encoder from a local masked-LM folder (safetensors weights only)."""

    def __init__(self, spec: ModelSpec, folder: Path, *, device: str = "cpu", precision: str = "fp32",
                 top_k: int = DEFAULT_TOP_K, batch_tokens: int = MLM_TOKEN_BUDGET) -> None:
        import torch
        from transformers import AutoModelForMaskedLM, AutoTokenizer

        self.spec = spec
        self.folder = Path(folder)
        self.device = device
        self.top_k = top_k
        self.batch_tokens = batch_tokens
        self.tokenizer = AutoTokenizer.from_pretrained(self.folder)
        self.model = AutoModelForMaskedLM.from_pretrained(self.folder, use_safetensors=True).to(device).eval()
        self.vocab_size = int(self.model.config.vocab_size)
        self.max_length = min(spec.max_length, int(self.model.config.max_position_embeddings))
        # Default float32: sparse weights near zero decide which terms survive top-k, and bfloat16's
        # 8-bit mantissa reorders them; bench/sparse_quality.py measures the difference.
        self._dtype = autocast_dtype(device, precision)
        self._torch = torch
        # Inference-free models (OpenSearch doc-v3) weight query tokens by a shipped IDF table instead.
        self.query_idf = self._load_query_idf()

    @property
    def precision(self) -> str:
        """The compute precision in use."""
        return dtype_name(self._dtype)

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

    def _weights(self, features: dict):
        """(batch, vocab) max-pooled log(1+relu(logits)) over unmasked positions, float32."""
        torch = self._torch
        batch = {k: v.to(self.device) for k, v in features.items()}
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
        return torch.log1p(torch.relu(pooled.float()))

    def encode_documents(self, texts: list[str], batch_size: int = 32,
                         on_progress: ProgressFn | None = None, top_k: int | None = None) -> list[SparseVec]:
        """One SparseVec per text, truncated to the ``top_k`` (default ``self.top_k``) largest weights."""
        k = top_k or self.top_k
        result: list[SparseVec] = [(np.zeros(0, np.int32), np.zeros(0, np.float32))] * len(texts)
        if not texts:
            return result
        enc = self.tokenizer(list(texts), truncation=True, max_length=self.max_length)
        keys = [k_ for k_ in ("input_ids", "attention_mask", "token_type_ids") if k_ in enc]
        lengths = [len(ids) for ids in enc["input_ids"]]
        done = 0
        with self._torch.inference_mode():
            for idx in length_batches(lengths, self.batch_tokens, max_batch=max(1, batch_size)):
                features = self.tokenizer.pad({k_: [enc[k_][i] for i in idx] for k_ in keys}, return_tensors="pt")
                weights = self._weights(features).cpu().numpy()
                for row, i in enumerate(idx):
                    result[i] = top_k_sparse(weights[row], k)
                done += len(idx)
                if on_progress is not None:
                    on_progress(done, len(texts))
        return result

    def encode_query(self, text: str) -> SparseVec:
        """The query's full sparse vector (no top-k cut)."""
        if self.query_idf is not None:
            ids = self.tokenizer(text, add_special_tokens=False, truncation=True, max_length=self.max_length)["input_ids"]
            dense = np.zeros(self.vocab_size, dtype=np.float32)
            dense[np.unique(np.asarray(ids, dtype=np.int64))] = 1.0
            return top_k_sparse(dense * self.query_idf, None)
        enc = self.tokenizer([text], truncation=True, max_length=self.max_length, return_tensors="pt")
        with self._torch.inference_mode():
            return top_k_sparse(self._weights(enc)[0].cpu().numpy(), None)

    def tokens(self, ids) -> list[str]:
        """Vocabulary strings of token ids."""
        return self.tokenizer.convert_ids_to_tokens([int(i) for i in ids])


class IdfVocabEncoder:
    """Tokenizer-only sparse encoder: saturated tf for documents, IDF for queries (see module doc)."""

    def __init__(self, spec: ModelSpec, folder: Path, *, k1: float = 1.2, top_k: int = DEFAULT_TOP_K) -> None:
        from transformers import AutoTokenizer

        self.spec = spec
        self.folder = Path(folder)
        self.k1 = k1
        self.top_k = top_k
        self.tokenizer = AutoTokenizer.from_pretrained(self.folder)
        # No model window applies: whole passages are tokenised (silences the >512-token warning).
        self.tokenizer.model_max_length = 1 << 30
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
        ids = np.asarray(self.tokenizer(text, add_special_tokens=False)["input_ids"], dtype=np.int64)
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
