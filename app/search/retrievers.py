"""Model-based retrieval components: dense text, CLIP (images), and the sparse vocabulary score.

- ``dense``: the text encoder's query vector against passages' ``vec_text`` (LanceDB vector search).
- ``clip``: the CLIP text/image query vector against images' ``vec_clip`` (text → images, image → images).
- ``sparse``: q·d over the shared BERT-uncased vocabulary, exact, from the persisted column postings of
  the passages' top-k (id, weight) lists (app.search.postings, memory-mapped; kept up to date by the indexer
  through app.search.postings_store). An image query's vocabulary vector (its CLIP projection) finds related
  text here.
- Dense searches use the ANN index when the collection is large enough to have one (app.search.vector_index).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from app.search import postings_store
from app.search.postings import Postings
from app.search.query import Term
from app.search.retriever import HIT_COLUMNS, Hits
from app.search.types import SearchOptions
from app.store import Store


@dataclass
class _Begun:
    """Candidates scored ahead (ModelRetriever.begin_candidates): the postings, the query's sparse vector (None:
    nothing to score), the passage ids looked at, and the rows and exact scores of those in the postings."""

    matrix: Postings
    q: tuple | None
    ids: set
    rows: np.ndarray
    scores: np.ndarray


class ModelRetriever:
    """Runs the dense, CLIP and sparse components for a parsed query."""

    def __init__(self, models):
        self.models = models
        self._postings = postings_store.Cache()
        self._indexed: tuple | None = None  # (table version, vector columns with an ANN index)
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
        vec = np.asarray(sum(w * v for w, v in parts))
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

    def sparse_vector(self, terms: list[Term], matrix: Postings) -> tuple[np.ndarray, np.ndarray] | None:
        """Weighted sum of the terms' vocabulary vectors (images via their CLIP projection), negatives clipped."""
        last = self._last_sparse
        if last is not None and last[0] == tuple(terms) and last[1] is matrix:
            return last[2]
        vec = self._sparse_vector(terms, matrix)
        self._last_sparse = (tuple(terms), matrix, vec)
        return vec

    def _sparse_vector(self, terms: list[Term], matrix: Postings) -> tuple[np.ndarray, np.ndarray] | None:
        acc: dict[int, float] = {}

        def add(weight: float, ids, w) -> None:
            for i, x in zip(ids.tolist(), w.tolist()):
                acc[i] = acc.get(i, 0.0) + weight * x

        vocab = self.models.vocab
        if vocab is not None and hasattr(vocab, "set_document_frequencies"):
            vocab.set_document_frequencies(matrix.document_frequency(), max(1, matrix.n_alive))
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

    def sparse_matrix(self, store: Store) -> Postings:
        """The sparse postings for the store's current passages (saved ones, plus any delta since)."""
        return self._postings.get(store)

    @staticmethod
    def passage_vectors(store: Store, passage_ids: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The stored sparse (ids, weights) of some passages (the postings are by column, not by row)."""
        return {r["passage_id"]: (np.asarray(r["sparse_ids"], dtype=np.int32), np.asarray(r["sparse_w"], dtype=np.float32))
                for r in store.passages_with_ids(passage_ids, ["passage_id", "sparse_ids", "sparse_w"])}

    def indexed_columns(self, store: Store) -> set[str]:
        """Vector columns with an ANN index, checked once per table version."""
        version = store.passages_version()
        with self._lock:
            if self._indexed is None or self._indexed[0] != version:
                self._indexed = (version, store.indexed_columns("vector"))
            return self._indexed[1]

    # --- retrieval ---------------------------------------------------------------------------------
    def retrieve(self, store: Store, terms: list[Term], where: str | None, depth: int, options: SearchOptions) -> dict:
        """Ranked (row, score) lists per component: ``dense``, ``clip``, ``sparse`` (those that can run)."""
        from models.device import query_threads

        if options.mode == "lexical":
            return {}
        with query_threads():
            return self._retrieve(store, terms, where, depth, options.mode)

    def _retrieve(self, store: Store, terms: list[Term], where: str | None, depth: int, mode: str) -> dict:
        cols = {c.name for c in store.vector_columns()}
        out: dict[str, list[tuple[dict, float]]] = {}
        dense = mode in ("auto", "hybrid", "dense") and bool(cols & {"vec_text", "vec_clip"})
        # A hybrid search's sparse component ranks the other components' candidates (begin_candidates,
        # score_candidates). Otherwise (--mode sparse, an image term) it searches every passage here, before
        # the dense search: with an image term both need its CLIP embedding, computed once.
        if mode in ("auto", "hybrid", "sparse") and store.vocab_model() and not self._sparse_after(store, terms, mode):
            if (hits := self._sparse_component(store, terms, where, depth)) is not None:
                out["sparse"] = hits
        if dense:
            if "vec_text" in cols and (vec := self.text_vector(terms)) is not None:
                out["dense"] = self._vector_search(store, vec, "vec_text", where, depth, self.indexed_columns(store))
            if "vec_clip" in cols and (vec := self.clip_vector(terms)) is not None:
                out["clip"] = self._vector_search(store, vec, "vec_clip", where, depth, self.indexed_columns(store))
        return out

    @staticmethod
    def _sparse_after(store: Store, terms: list[Term], mode: str) -> bool:
        """Whether the sparse component ranks the other components' candidates rather than every passage.

        In a hybrid search (``auto`` / ``hybrid`` with a dense column and BM25 beside it) the sparse component
        scores the passages BM25 and the dense search found: its exact scores for ~200 passages cost ~3 ms,
        where its own top 100 of a million cost ~20 ms of CPU (MaxScore), a fifth of a hybrid search's. Measured
        on SciFact's test queries, nDCG@10 0.7356 this way against 0.7336 with its own top 100, recall@100
        0.961 both (bench/README.md, "1,000,000 passages, seventh session"). An image term keeps the whole
        search: its vocabulary vector is what finds text for a picture.
        """
        if mode not in ("auto", "hybrid") or not store.vocab_model() or any(t.image is not None for t in terms):
            return False
        return bool({c.name for c in store.vector_columns()} & {"vec_text", "vec_clip"})

    def begin_candidates(self, store: Store, terms: list[Term], found: dict[str, Hits], options: SearchOptions):
        """Score the candidates found so far (BM25's, while the dense search runs): what :meth:`score_candidates`
        is then given, so that only the later components' new passages are left to score; None when this search
        ranks no candidates."""
        if options.mode == "lexical" or not self._sparse_after(store, terms, options.mode):
            return None
        matrix = self.sparse_matrix(store)
        q = self.sparse_vector(terms, matrix)
        ids = {row["passage_id"] for hits in found.values() for row, _ in hits}
        if q is None or not matrix.n_alive:
            return _Begun(matrix, None, ids, np.zeros(0, np.int64), np.zeros(0))
        return _Begun(matrix, q, ids, *matrix.scores_among(sorted(ids), *q))

    def score_candidates(self, store: Store, terms: list[Term], found: dict[str, Hits], depth: int,
                         options: SearchOptions, begun=None) -> dict[str, Hits]:
        """The components that rank what the others ``found`` (see :meth:`_sparse_after`): ``sparse``, when it
        does; the same scores a whole-collection sparse search gives those passages. ``begun``: what
        :meth:`begin_candidates` returned for some of them."""
        if options.mode == "lexical" or not self._sparse_after(store, terms, options.mode):
            return {}
        if begun is None:
            begun = self.begin_candidates(store, terms, {}, options)
        if begun is None or begun.q is None or not begun.matrix.n_alive:
            return {}
        rest = sorted({row["passage_id"] for hits in found.values() for row, _ in hits} - begun.ids)
        rows, scores = begun.rows, begun.scores
        if rest:
            more_rows, more_scores = begun.matrix.scores_among(rest, *begun.q)
            rows, scores = np.concatenate([rows, more_rows]), np.concatenate([scores, more_scores])
        return {"sparse": [({"passage_id": pid}, score) for pid, score in begun.matrix.ranked(rows, scores, depth)]}

    def _sparse_component(self, store: Store, terms: list[Term], where: str | None, depth: int):
        matrix = self.sparse_matrix(store)
        q = self.sparse_vector(terms, matrix)
        if q is None or not matrix.n_alive:
            return None
        return self._sparse_search(store, matrix, q, where, depth)

    @staticmethod
    def _vector_search(store: Store, vec: np.ndarray, column: str, where: str | None, depth: int, indexed=()):
        from app.search.vector_index import query_params

        return store.vector_search(vec.astype(np.float32), column, where=where, limit=depth, columns=HIT_COLUMNS,
                                   **query_params(column in indexed, depth))

    @staticmethod
    def _sparse_search(store: Store, matrix: Postings, q, where: str | None, depth: int):
        allowed = None
        if where:
            allowed = matrix.rows_of(store.passage_ids_matching(where))
        q_ids, q_w = q
        return [({"passage_id": pid}, score) for pid, score in matrix.top(q_ids, q_w, depth, allowed)]
