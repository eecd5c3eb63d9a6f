"""Model-based retrieval components: dense text, CLIP (images), and the sparse vocabulary score.

- ``dense``: the text encoder's query vector against passages' ``vec_text`` (LanceDB vector search).
- ``clip``: the CLIP text/image query vector against images' ``vec_clip`` (text → images, image → images).
- ``sparse``: q·d over the shared BERT-uncased vocabulary, exact, from an in-memory CSR matrix of the
  passages' top-k (id, weight) lists. LanceDB has no sparse index; the matrix is rebuilt only when the
  table version changes. An image query's vocabulary vector (its CLIP projection) finds related text here.
"""

from __future__ import annotations

import threading

import numpy as np

from app.search.engine import HIT_COLUMNS
from app.search.query import Term
from app.store import Store

VOCAB_SIZE = 30522


class SparseMatrix:
    """All passages' sparse vectors as a CSR matrix (rows follow ``passage_ids``)."""

    def __init__(self, store: Store):
        from scipy.sparse import csr_matrix

        table = store.passages.search().select(["passage_id", "sparse_ids", "sparse_w"]).limit(None).to_arrow()
        self.passage_ids = table.column("passage_id").to_pylist()
        ids = table.column("sparse_ids").combine_chunks()
        weights = table.column("sparse_w").combine_chunks()
        indptr = np.asarray(ids.offsets, dtype=np.int64)
        indices = np.asarray(ids.values, dtype=np.int32)
        data = np.asarray(weights.values, dtype=np.float32)
        self.matrix = csr_matrix((data, indices, indptr), shape=(len(self.passage_ids), VOCAB_SIZE))
        self.df = np.bincount(indices, minlength=VOCAB_SIZE)
        self.row_of = {pid: i for i, pid in enumerate(self.passage_ids)}

    def scores(self, q_ids: np.ndarray, q_w: np.ndarray) -> np.ndarray:
        """q·d for every passage."""
        from scipy.sparse import csr_matrix

        q = csr_matrix((q_w.astype(np.float32), (np.zeros(len(q_ids), dtype=np.int32), q_ids)), shape=(1, VOCAB_SIZE))
        return np.asarray((self.matrix @ q.T).todense()).ravel()


class ModelRetriever:
    """Runs the dense, CLIP and sparse components for a parsed query."""

    def __init__(self, models):
        self.models = models
        self._sparse: SparseMatrix | None = None
        self._sparse_version = None
        self._lock = threading.Lock()
        # The last query's results, reused within one search: the sparse component and the explanation
        # both need the query's vocabulary vector, and an image term's CLIP embedding serves both the
        # CLIP and the sparse component (one image-tower pass is ~240 ms on a laptop CPU).
        self._last_sparse: tuple | None = None
        self._image_cache: dict = {}

    # --- query vectors ---------------------------------------------------------------------------
    def _combine(self, parts: list[tuple[float, np.ndarray]]) -> np.ndarray | None:
        if not parts:
            return None
        vec = sum(w * v for w, v in parts)
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm > 0 else None

    def text_vector(self, terms: list[Term]) -> np.ndarray | None:
        """Weighted sum of the text terms' dense vectors (images can't enter the text model's space)."""
        enc = self.models.text
        if enc is None:
            return None
        return self._combine([(t.weight, enc.encode_query(t.text)) for t in terms if t.text])

    def clip_vector(self, terms: list[Term]) -> np.ndarray | None:
        """Weighted sum in CLIP space: text terms through the text tower, images through the image tower."""
        enc = self.models.image
        if enc is None:
            return None
        parts = []
        texts = [t for t in terms if t.text]
        if texts:
            parts += [(t.weight, v) for t, v in zip(texts, enc.encode_texts([t.text for t in texts]))]
        parts += [(t.weight, self._image_embedding(t.image)) for t in terms if t.image is not None]
        return self._combine(parts)

    def _image_embedding(self, path) -> np.ndarray:
        """The CLIP embedding of an image query file, remembered for the few most recent files."""
        from pathlib import Path

        stat = Path(path).stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if key not in self._image_cache:
            if len(self._image_cache) >= 4:
                self._image_cache.pop(next(iter(self._image_cache)))
            self._image_cache[key] = self.models.image.encode_images([path])[0]
        return self._image_cache[key]

    def sparse_vector(self, terms: list[Term], matrix: SparseMatrix) -> tuple[np.ndarray, np.ndarray] | None:
        """Weighted sum of the terms' vocabulary vectors (images via their CLIP projection), negatives clipped."""
        last = self._last_sparse
        if last is not None and last[0] == tuple(terms) and last[1] is matrix:
            return last[2]
        vec = self._sparse_vector(terms, matrix)
        self._last_sparse = (tuple(terms), matrix, vec)
        return vec

    def _sparse_vector(self, terms: list[Term], matrix: SparseMatrix) -> tuple[np.ndarray, np.ndarray] | None:
        acc: dict[int, float] = {}

        def add(weight: float, ids, w) -> None:
            for i, x in zip(ids.tolist(), w.tolist()):
                acc[i] = acc.get(i, 0.0) + weight * x

        vocab = self.models.vocab
        if vocab is not None and hasattr(vocab, "set_document_frequencies"):
            vocab.set_document_frequencies(matrix.df, max(1, len(matrix.passage_ids)))
        for t in terms:
            if t.text and vocab is not None:
                add(t.weight, *vocab.encode_query(t.text))
            elif t.image is not None and self.models.image is not None:
                emb = self._image_embedding(t.image)[None, :]
                add(t.weight, *self.models.image.vocab_vectors(emb)[0])
        acc = {i: x for i, x in acc.items() if x > 0}
        if not acc:
            return None
        ids = np.fromiter(acc.keys(), dtype=np.int32)
        return ids, np.fromiter(acc.values(), dtype=np.float32)

    def sparse_matrix(self, store: Store) -> SparseMatrix:
        """The CSR matrix for the store's current passages (rebuilt when the table changed)."""
        with self._lock:
            version = store.passages.version
            if self._sparse is None or self._sparse_version != version:
                self._sparse = SparseMatrix(store)
                self._sparse_version = version
            return self._sparse

    # --- retrieval ---------------------------------------------------------------------------------
    def retrieve(self, store: Store, terms: list[Term], where: str | None, depth: int, options: dict) -> dict:
        """Ranked (row, score) lists per component: ``dense``, ``clip``, ``sparse`` (those that can run)."""
        from models.device import query_threads

        with query_threads():
            return self._retrieve(store, terms, where, depth, options)

    def _retrieve(self, store: Store, terms: list[Term], where: str | None, depth: int, options: dict) -> dict:
        mode = options.get("mode", "auto")
        cols = {c.name for c in store.vector_columns()}
        out: dict[str, list[tuple[dict, float]]] = {}
        if mode in ("auto", "hybrid", "dense"):
            if "vec_text" in cols and (vec := self.text_vector(terms)) is not None:
                out["dense"] = self._vector_search(store, vec, "vec_text", where, depth)
            if "vec_clip" in cols and (vec := self.clip_vector(terms)) is not None:
                out["clip"] = self._vector_search(store, vec, "vec_clip", where, depth)
        if mode in ("auto", "hybrid", "sparse") and store.vocab_model():
            matrix = self.sparse_matrix(store)
            q = self.sparse_vector(terms, matrix)
            if q is not None and matrix.passage_ids:
                out["sparse"] = self._sparse_search(store, matrix, q, where, depth)
        return out

    @staticmethod
    def _vector_search(store: Store, vec: np.ndarray, column: str, where: str | None, depth: int):
        search = store.passages.search(vec.astype(np.float32), vector_column_name=column).metric("cosine")
        search = search.select(HIT_COLUMNS)
        if where:
            search = search.where(where, prefilter=True)
        rows = search.limit(depth).to_list()
        return [(r, 1.0 - float(r.pop("_distance"))) for r in rows]

    @staticmethod
    def _sparse_search(store: Store, matrix: SparseMatrix, q, where: str | None, depth: int):
        scores = matrix.scores(*q)
        if where:
            allowed = store.passage_rows(where, ["passage_id"])
            mask = np.zeros(len(scores), dtype=bool)
            for r in allowed:
                i = matrix.row_of.get(r["passage_id"])
                if i is not None:
                    mask[i] = True
            scores = np.where(mask, scores, 0.0)
        n = min(depth, int(np.count_nonzero(scores > 0)))
        if n == 0:
            return []
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top])]
        return [({"passage_id": matrix.passage_ids[i]}, float(scores[i])) for i in top]
