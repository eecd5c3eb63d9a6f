"""Choose the fusion of BM25, dense and sparse components by measurement (BEIR train split).

Each query's component rankings are computed once; then weighted reciprocal-rank fusion (for several
weight sets and RRF constants) and a score-normalised linear fusion are evaluated on the same rankings.
Pick on ``--split train``, then confirm on ``test`` with ``lexiscope eval``.

Run:  LEXISCOPE_HOME=... python bench/fusion_weights.py ../shared/data/scifact --split train
(uses the index `lexiscope eval` built for the same folder; build it first).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import statistics
from pathlib import Path

import numpy as np

from app.config import Settings, data_root
from app.eval import load_beir, materialise, ndcg_at
from app.search import engine
from app.search.query import parse
from app.search.types import SearchOptions
from app.session import make_searcher
from app.store import Store


doc_stem: dict[str, str] = {}  # store doc_id -> corpus id, filled in main()


def _documents(fused) -> list[str]:
    """Fused passages to documents in order (each at its best passage), as corpus ids, top 100."""
    seen, out = set(), []
    for c in fused:
        doc = doc_stem[engine.doc_of(c.row)]
        if doc not in seen:
            seen.add(doc)
            out.append(doc)
    return out[:100]


def doc_ranking(components, weights, k_rrf, stems) -> list[str]:
    """Documents in RRF order (best passage per document), as corpus ids."""
    old = engine.RRF_K
    engine.RRF_K = k_rrf
    try:
        return _documents(engine.fuse(components, weights))
    finally:
        engine.RRF_K = old


def linear_ranking(components, weights, stems) -> list[str]:
    """Per component: each document's best passage score, min-max normalised; weighted sum over components."""
    total: dict[str, float] = {}
    for name, hits in components.items():
        if not hits:
            continue
        scores = np.array([s for _, s in hits])
        lo, hi = scores.min(), scores.max()
        best: dict[str, float] = {}
        for row, s in hits:
            doc = doc_stem[engine.doc_of(row)]
            best[doc] = max(best.get(doc, 0.0), (s - lo) / (hi - lo) if hi > lo else 1.0)
        for doc, v in best.items():
            total[doc] = total.get(doc, 0.0) + weights.get(name, 1.0) * v
    return [d for d, _ in sorted(total.items(), key=lambda x: -x[1])][:100]


def passage_linear_ranking(components, weights, stems) -> list[str]:
    """As the engine fuses with ``method="minmax"``: min-max per component over passages, weighted sum,
    then each document at its best passage."""
    return _documents(engine.fuse(components, weights, method="minmax"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("beir_dir", type=Path)
    ap.add_argument("--split", default="train")
    ap.add_argument("--limit", type=int)
    args = ap.parse_args()
    corpus, queries, qrels = load_beir(args.beir_dir, args.split)
    if args.limit:
        queries = dict(list(queries.items())[: args.limit])
    tag = hashlib.sha1(str(args.beir_dir.resolve()).encode()).hexdigest()[:8]
    work = data_root() / "eval" / f"{args.beir_dir.name}-{tag}"
    stems = materialise(corpus, work / "docs")
    store = Store(work / "index")
    searcher = make_searcher(store, Settings.load())
    for r in store.document_rows(["doc_id", "path"]):
        doc_stem[r["doc_id"]] = stems.get(Path(r["path"]).stem, "")
    per_query = {}
    for qid, text in queries.items():
        terms = parse(text)
        comps: dict = {}
        for r in searcher.retrievers:  # the model components, then BM25 (app.search.lexical)
            comps.update(r.retrieve(store, terms, None, engine.MIN_DEPTH * 2, SearchOptions(mode="hybrid")))
        per_query[qid] = comps
    print(f"{args.beir_dir.name} {args.split}: {len(per_query)} queries; components {sorted(next(iter(per_query.values())))}")
    rows = []
    names = ("bm25", "dense", "sparse")
    for single in names:
        score = statistics.fmean(ndcg_at(doc_ranking({single: c[single]}, None, 60, stems), qrels[q])
                                 for q, c in per_query.items())
        rows.append((f"{single} alone", score))
    grid = [0.0, 0.5, 1.0, 1.5, 2.0]
    for k_rrf in (20, 60):
        for w in itertools.product(grid, repeat=3):
            if not any(w):
                continue
            weights = dict(zip(names, w))
            score = statistics.fmean(ndcg_at(doc_ranking(c, weights, k_rrf, stems), qrels[q]) for q, c in per_query.items())
            rows.append((f"rrf k={k_rrf} w={weights}", score))
    for w in itertools.product(grid, repeat=3):
        if not any(w):
            continue
        weights = dict(zip(names, w))
        score = statistics.fmean(ndcg_at(linear_ranking(c, weights, stems), qrels[q]) for q, c in per_query.items())
        rows.append((f"linear minmax w={weights}", score))
        if len(set(w)) == 1 or w in ((1.0, 1.0, 0.5), (1.0, 0.5, 1.0), (0.5, 1.0, 1.0), (1.5, 1.0, 1.0)):
            score = statistics.fmean(ndcg_at(passage_linear_ranking(c, weights, stems), qrels[q])
                                     for q, c in per_query.items())
            rows.append((f"engine minmax (passages) w={weights}", score))
    rows.sort(key=lambda r: -r[1])
    best_rrf = next(r for r in rows if r[0].startswith("rrf"))
    shown = rows[:3] + [best_rrf] + [r for r in rows if "alone" in r[0] or "engine" in r[0]
                                     or r[0] == "rrf k=60 w={'bm25': 1.0, 'dense': 1.0, 'sparse': 1.0}"]
    for name, score in dict.fromkeys(shown):
        print(f"  nDCG@10 {score:.4f}  {name}")


if __name__ == "__main__":
    main()
