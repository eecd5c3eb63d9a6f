"""Dense text encoding: Lexiscope's TextEncoder versus plain sentence-transformers, same model, same data.

Measures documents per second and dense-only nDCG@10 (exact dot-product retrieval) on a BEIR
collection (default SciFact: title + " " + text). Timing is interleaved — each chunk of documents is
encoded by both, one after the other — so load from other processes on a shared machine hits both
alike. Run from the repo root:

    .venv/bin/python bench/text_throughput.py [--limit N] [--also-torch]

With ``--limit N`` the corpus is the documents relevant to the test queries plus the first others up
to N (nDCG is then higher than on the full corpus, but still comparable between the two rows).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "scifact"


def load_beir(folder: Path, limit: int | None = None, split: str = "test"):
    """(doc_ids, doc_texts, query_ids, query_texts, qrels) from a BEIR folder; qrels: {qid: {did: rel}}."""
    qrels: dict[str, dict[str, int]] = {}
    with open(folder / "qrels" / f"{split}.tsv", encoding="utf-8") as fh:
        next(fh)  # header line
        for line in fh:
            qid, did, rel = line.rstrip("\n").split("\t")[:3]
            qrels.setdefault(qid, {})[did] = int(rel)
    docs: dict[str, str] = {}
    with open(folder / "corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            docs[row["_id"]] = (row.get("title", "") + " " + row.get("text", "")).strip()
    if limit is not None and limit < len(docs):
        keep = {d for rels in qrels.values() for d in rels if d in docs}
        for did in docs:
            if len(keep) >= limit:
                break
            keep.add(did)
        docs = {d: t for d, t in docs.items() if d in keep}
    queries: dict[str, str] = {}
    with open(folder / "queries.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["_id"] in qrels:
                queries[row["_id"]] = row["text"]
    return list(docs), list(docs.values()), list(queries), list(queries.values()), qrels


def ndcg_at_10(scores: np.ndarray, doc_ids: list[str], query_ids: list[str], qrels) -> float:
    """Mean nDCG@10 (linear gains, as pytrec_eval/BEIR) of a (queries × docs) score matrix."""
    total = 0.0
    for row, qid in enumerate(query_ids):
        rels = qrels.get(qid, {})
        top = np.argsort(-scores[row], kind="stable")[:10]
        dcg = sum(rels.get(doc_ids[j], 0) / np.log2(rank + 2) for rank, j in enumerate(top))
        ideal = sorted(rels.values(), reverse=True)[:10]
        idcg = sum(g / np.log2(rank + 2) for rank, g in enumerate(ideal))
        total += dcg / idcg if idcg > 0 else 0.0
    return total / max(1, len(query_ids))


def machine() -> str:
    """One line describing the CPU and torch threads."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {torch.get_num_threads()} torch threads, torch {torch.__version__}, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print a table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=None, help="at most N documents (quick run)")
    ap.add_argument("--chunk", type=int, default=512, help="documents per interleaved timing chunk")
    ap.add_argument("--also-torch", action="store_true",
                    help="also time our encoder's torch backend (bf16 where the CPU has it, and fp32)")
    args = ap.parse_args(argv)

    from sentence_transformers import SentenceTransformer

    from models import load_encoder
    from models.text import TextEncoder

    doc_ids, docs, query_ids, queries, qrels = load_beir(args.data, args.limit)
    cache = tempfile.TemporaryDirectory()  # the int8 graph is built here once (not timed: a one-off per model)
    t0 = time.perf_counter()
    ours = load_encoder("text", "all-minilm-l6-v2", cache_dir=Path(cache.name), device="cpu")
    print(f"loaded our encoder ({ours.precision}) in {time.perf_counter() - t0:.1f}s, building its graph", flush=True)
    contenders = {"sentence-transformers": None, f"lexiscope ({ours.precision})": ours}
    if args.also_torch:
        for precision in ("auto", "fp32"):
            enc = TextEncoder(ours.spec, ours.folder, device="cpu", precision=precision)
            contenders.setdefault(f"lexiscope torch ({enc.precision})", enc)
    st = SentenceTransformer(str(ours.folder), device="cpu")

    def encode(name, texts):
        enc = contenders[name]
        if enc is None:
            return st.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
        return enc.encode_documents(texts)

    print(f"data: {args.data} ({len(docs)} docs, {len(queries)} queries); {machine()}", flush=True)
    for name in contenders:  # warm-up: first calls pay one-off allocation and kernel selection costs
        encode(name, docs[:32])
    seconds = dict.fromkeys(contenders, 0.0)
    vectors = {name: [] for name in contenders}
    for start in range(0, len(docs), args.chunk):
        chunk = docs[start:start + args.chunk]
        for name in contenders:
            t0 = time.perf_counter()
            vectors[name].append(encode(name, chunk))
            seconds[name] += time.perf_counter() - t0
        print(f"  {start + len(chunk)}/{len(docs)} docs", file=sys.stderr, flush=True)

    rows = []
    for name, enc in contenders.items():
        doc_vecs = np.concatenate(vectors[name])
        if enc is None:
            q_vecs = st.encode(queries, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
        else:
            q_vecs = np.stack([enc.encode_query(q) for q in queries])
        ndcg = ndcg_at_10(q_vecs @ doc_vecs.T, doc_ids, query_ids, qrels)
        rows.append((name, len(docs) / seconds[name], seconds[name], ndcg))
    base_rate, base_ndcg = rows[0][1], rows[0][3]
    print("\n| encoder | docs/s | seconds | speed-up | nDCG@10 | % of ST nDCG |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, rate, secs, ndcg in rows:
        print(f"| {name} | {rate:.1f} | {secs:.1f} | {rate / base_rate:.2f}x | {ndcg:.4f} | {100 * ndcg / base_ndcg:.1f}% |")
    cache.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
