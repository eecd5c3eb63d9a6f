"""Where a search's time goes: each component of a hybrid search timed alone, then whole searches, on an
index kept by ``bench/scale.py --keep``.

    python bench/scale.py --sizes 1000000 --keep --work DIR        # once: builds DIR/idx1000000
    python bench/search_parts.py DIR [--size 1000000] [--queries 41]

Prints p50 / p95 per part (BM25, query encoding, the dense ANN search, the sparse vocabulary vector and its
MaxScore top-100), then whole hybrid and words-only searches, with the process CPU time a hybrid search takes
(what two cores must share: a hybrid search cannot take less wall time than half its CPU time). Nothing is
written into the index. Queries are SciFact test queries, as in scale.py; the first warms the caches.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DATA = ROOT.parent / "shared" / "data"


def _p(values: list[float]) -> str:
    ms = np.asarray(values) * 1000
    return f"p50 {np.percentile(ms, 50):7.1f}  p95 {np.percentile(ms, 95):7.1f} ms"


def main() -> int:
    """Time the parts and the whole of searches on a kept scale.py index; print one line per part."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("work", type=Path, help="scale.py's --work folder (holds idx<size> and models-home)")
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=41)
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    os.environ["LEXISCOPE_HOME"] = str(args.work / "models-home")
    os.environ.setdefault("LANCEDB_LOG", "error")
    import scale

    from app.config import Settings
    from app.search.lexical import bm25
    from app.search.query import parse
    from app.search.retrievers import ModelRetriever
    from app.session import make_searcher, open_store, prewarm_in_background

    qs = scale.queries(args.data, args.queries)
    store = open_store(args.work / f"idx{args.size}")
    searcher = make_searcher(store, Settings())
    prewarm_in_background(store).join()  # the steady state of the window's search process
    model = next(r for r in searcher.retrievers if isinstance(r, ModelRetriever))
    searcher.search(qs[0], k=10, mode="hybrid")
    parts: dict[str, list[float]] = {k: [] for k in ("bm25", "encode", "dense", "sparse_vector", "sparse_top")}
    indexed = model.indexed_columns(store)
    for q in qs[1:]:
        terms = parse(q)
        t = time.perf_counter()
        bm25(store, q, None, 100)
        parts["bm25"].append(time.perf_counter() - t)
        t = time.perf_counter()
        vec = model.text_vector(terms)
        parts["encode"].append(time.perf_counter() - t)
        t = time.perf_counter()
        model._vector_search(store, vec, "vec_text", None, 100, indexed)
        parts["dense"].append(time.perf_counter() - t)
        matrix = model.sparse_matrix(store)
        model._last_sparse = None  # not the cached vector of this query
        t = time.perf_counter()
        q_sparse = model.sparse_vector(terms, matrix)
        parts["sparse_vector"].append(time.perf_counter() - t)
        t = time.perf_counter()
        if q_sparse is not None:
            matrix.top(*q_sparse, 100)
        parts["sparse_top"].append(time.perf_counter() - t)
    whole: dict[str, list[float]] = {"hybrid": [], "hybrid CPU": [], "lexical": []}
    for q in qs[1:]:
        c, t = time.process_time(), time.perf_counter()
        searcher.search(q, k=10, mode="hybrid")
        whole["hybrid"].append(time.perf_counter() - t)
        whole["hybrid CPU"].append(time.process_time() - c)
        t = time.perf_counter()
        searcher.search(q, k=10, mode="lexical")
        whole["lexical"].append(time.perf_counter() - t)
    print(f"{args.size:,} passages, {len(qs) - 1} queries, load average {os.getloadavg()[0]:.2f}")
    for name, values in {**parts, **whole}.items():
        print(f"  {name:14s} {_p(values)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
