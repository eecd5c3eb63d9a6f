"""Explanation benchmarks on a BEIR data set (default: SciFact): faithfulness and added latency.

1. Deletion test: for each query's top results, delete the 3 top explained terms from the passage and
   re-encode it; compare the sparse-score drop with deleting 3 random words of the passage. A faithful
   explanation names the words the score depends on, so the ratio should be far above 1.
2. Latency: search for the top 20 with and without ``explain`` and report the added milliseconds
   (terms only, and terms + dense MaxSim spans).

Run:  python bench/explain_bench.py ../shared/data/scifact --queries 100
Needs a vocabulary model with weights (e.g. `lexiscope models import vocab ../shared/models/splade-tiny`),
and uses LEXISCOPE_HOME (the same index `lexiscope eval` builds).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from pathlib import Path

from app.config import Settings, data_root
from app.eval import load_beir, materialise
from app.index_run import index_paths
from app.session import make_searcher
from app.store import Store


def _delete_words(text: str, words: set[str]) -> str:
    return re.sub(r"\b\w+\b", lambda m: "" if m.group().lower() in words else m.group(), text)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("beir_dir", type=Path)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--top", type=int, default=5)
    args = ap.parse_args()
    import hashlib

    corpus, queries, _ = load_beir(args.beir_dir)
    tag = hashlib.sha1(str(args.beir_dir.resolve()).encode()).hexdigest()[:8]
    work = data_root() / "eval" / f"{args.beir_dir.name}-{tag}"
    materialise(corpus, work / "docs")
    settings = Settings.load()
    index_paths([work / "docs"], settings, root=work / "index")
    store = Store(work / "index")
    searcher = make_searcher(store, settings)
    retriever = searcher.retrievers[0]
    vocab = retriever.models.vocab
    if vocab is None or not store.vocab_model():
        raise SystemExit("needs a vocabulary model")
    rng = random.Random(0)
    qs = list(queries.items())[: args.queries]
    searcher.search("warm up", k=20, explain=True)

    drops_top, drops_rand = [], []
    for _, text in qs:
        response = searcher.search(text, k=args.top, explain="terms", mode="sparse")
        q = retriever.sparse_vector([t for t in __import__("app.search.query", fromlist=["parse"]).parse(text)],
                                    retriever.sparse_matrix(store))
        for r in response.results:
            exp = r.explanation.to_json() if r.explanation is not None else None  # the JSON form
            if not exp or not exp["terms"] or not exp["sparse_score"]:
                continue
            base = exp["sparse_score"]
            top3 = {t["term"] for t in exp["terms"][:3]}
            words = sorted({w.lower() for w in re.findall(r"\b\w+\b", r.passage_text)} - top3)
            rand3 = set(rng.sample(words, min(3, len(words))))
            for removed, sink in ((top3, drops_top), (rand3, drops_rand)):
                d = vocab.encode_documents([_delete_words(r.passage_text, removed)])[0]
                from models.sparse import sparse_dot

                sink.append(base - sparse_dot(q, d))
    mean_top, mean_rand = statistics.fmean(drops_top), statistics.fmean(drops_rand)
    print(f"deletion test on {args.beir_dir.name}: {len(drops_top)} (query, result) pairs, top {args.top} per query")
    print(f"  mean sparse-score drop, top-3 explained terms removed: {mean_top:.3f}")
    print(f"  mean sparse-score drop, 3 random words removed:        {mean_rand:.3f}")
    print(f"  ratio: {mean_top / max(mean_rand, 1e-9):.1f}x")

    def timed(**opts) -> float:
        times = []
        for _, text in qs:
            t0 = time.perf_counter()
            searcher.search(text, k=20, **opts)
            times.append((time.perf_counter() - t0) * 1000)
        return statistics.median(times)

    plain, terms, full = timed(), timed(explain="terms"), timed(explain=True)
    print(f"latency for 20 results over {len(qs)} queries (median ms): search {plain:.1f}; "
          f"+terms {terms - plain:.1f} ms; +terms and dense MaxSim spans {full - plain:.1f} ms")


if __name__ == "__main__":
    main()
