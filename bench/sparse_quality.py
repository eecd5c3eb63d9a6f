"""Sparse vocabulary retrieval quality: nDCG@10 with an exact sparse dot product.

Encodes a BEIR collection (default SciFact) with a SPLADE-style model from a local folder (default
../shared/models/splade-tiny, installed through ``import_folder`` exactly as a user's folder would be)
and with the tokenizer-only IDF encoder, then ranks every document for every test query.

    .venv/bin/python bench/sparse_quality.py [--limit N] [--model DIR] [--top-k 256] [--precision fp32]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from text_throughput import DEFAULT_DATA, ROOT, load_beir, machine, ndcg_at_10  # noqa: E402

DEFAULT_MODEL = ROOT.parent / "shared" / "models" / "splade-tiny"


def score_matrix(queries, docs, vocab_size: int) -> np.ndarray:
    """(queries × docs) exact dot products of two lists of SparseVecs."""
    from scipy.sparse import csr_matrix

    def to_csr(vecs):
        indptr = np.cumsum([0] + [len(ids) for ids, _ in vecs])
        ids = np.concatenate([ids for ids, _ in vecs]) if vecs else np.zeros(0, np.int32)
        ws = np.concatenate([w for _, w in vecs]) if vecs else np.zeros(0, np.float32)
        return csr_matrix((ws.astype(np.float64), ids, indptr), shape=(len(vecs), vocab_size))

    return (to_csr(queries) @ to_csr(docs).T).toarray()


def main(argv: list[str] | None = None) -> int:
    """Run and print a table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--top-k", type=int, default=256)
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "auto"])
    args = ap.parse_args(argv)

    from models.loader import load_encoder
    from models.resolve import import_folder
    from models.sparse import IdfVocabEncoder, MlmVocabEncoder, document_frequencies

    doc_ids, docs, query_ids, queries, qrels = load_beir(args.data, args.limit)
    print(f"data: {args.data} ({len(docs)} docs, {len(queries)} queries); {machine()}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        spec = import_folder("vocab", args.model, Path(cache), id="splade-tiny")
        loaded = load_encoder("vocab", spec.id, cache_dir=Path(cache), device="cpu")
        mlm = MlmVocabEncoder(spec, loaded.folder, device="cpu", precision=args.precision, top_k=args.top_k)
        idf = load_encoder("vocab", "idf", cache_dir=Path(cache))
    for name, enc in ((f"{spec.id} ({mlm.precision}, top-{args.top_k})", mlm), (f"idf (top-{args.top_k})", idf)):
        t0 = time.perf_counter()
        dvecs = enc.encode_documents(docs)
        secs = time.perf_counter() - t0
        if isinstance(enc, IdfVocabEncoder):
            enc.set_document_frequencies(document_frequencies(dvecs, enc.vocab_size), len(dvecs))
        qvecs = [enc.encode_query(q) for q in queries]
        ndcg = ndcg_at_10(score_matrix(qvecs, dvecs, enc.vocab_size), doc_ids, query_ids, qrels)
        nnz = np.mean([len(ids) for ids, _ in dvecs])
        rows.append((name, len(docs) / secs, nnz, ndcg))
    print("\n| sparse encoder | docs/s | mean terms/doc | nDCG@10 |")
    print("|---|---:|---:|---:|")
    for name, rate, nnz, ndcg in rows:
        print(f"| {name} | {rate:.1f} | {nnz:.0f} | {ndcg:.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
