"""Explanation words benchmark: are the shown terms whole words of the passage, led by a content word, and
do all terms still add up to the score? Over SciFact and Chronicling America queries, with a vocabulary
model imported from a local folder (e.g. splade-tiny), and words only (BM25 contributions).

Run:  python bench/explain_words.py ../shared/data/scifact ../shared/data/chronam-1916 \\
          --vocab-dir ../shared/models/splade-tiny --queries 50 --news-queries 20 --docs 600
Prints, per corpus and mode: explained results, terms checked, terms that are not whole passage words,
results led by a stop word, and the largest |sum of terms - score| (the sum rule).
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
from pathlib import Path

NEWS_QUERIES = [
    "quarantine during the epidemic", "strike at the docks", "the president and congress", "war in europe",
    "fire destroyed the building", "price of wheat and cotton", "independence day celebration",
    "army troops on the border", "the new year", "railroad accident killed", "mexican bandits villa",
    "women suffrage amendment", "automobile show", "submarine sinks steamer", "county fair races",
    "bank robbery", "coal miners wages", "school board meeting", "wedding of miss", "storm damage crops",
]


def check(response, score_kind: str, stats: dict) -> None:
    """Count rule violations over one response."""
    from app.explain import _is_weak

    for r in response.results:
        exp = r.explanation.to_json() if r.explanation is not None else {}  # the JSON form
        terms = exp.get("terms") or []
        if not exp.get("all_terms"):
            continue
        stats["results"] += 1
        words = set(re.findall(r"\w+", (r.passage_text or "").lower()))
        stats["terms"] += len(terms)
        bad = [t["term"] for t in terms if t["term"] not in words]
        stats["not_words"] += len(bad)
        stats.setdefault("examples", [])
        stats["examples"].extend(b for b in bad if b not in stats["examples"])
        stats["stop_led"] += bool(terms) and _is_weak(terms[0]["term"])
        total = exp.get("sparse_score") if score_kind == "sparse" else r.scores.get("bm25")
        if total is not None:
            stats["max_sum_error"] = max(stats["max_sum_error"], abs(sum(t["contribution"] for t in exp["all_terms"]) - total))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scifact", type=Path)
    ap.add_argument("chronam", type=Path)
    ap.add_argument("--vocab-dir", type=Path, required=True, help="a vocabulary model folder (splade-tiny)")
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--news-queries", type=int, default=20)
    ap.add_argument("--docs", type=int, default=600, help="SciFact documents indexed (the queries' relevant ones first)")
    args = ap.parse_args()
    os.environ.setdefault("LANCEDB_LOG", "error")
    home = Path(tempfile.mkdtemp(prefix="lexiscope-explain-words-"))
    os.environ["LEXISCOPE_HOME"] = str(home)
    from app.config import Settings
    from app.eval import load_beir, materialise
    from app.explain import explain_results
    from app.index_run import index_paths
    from app.search.engine import Searcher
    from app.session import make_searcher
    from app.store import Store
    from models.resolve import import_folder

    corpus, queries, qrels = load_beir(args.scifact)
    chosen = list(queries.items())[: args.queries]
    wanted = list(dict.fromkeys(d for qid, _ in chosen for d in qrels.get(qid, {})))
    wanted += [d for d in corpus if d not in wanted][: max(0, args.docs - len(wanted))]
    materialise({d: corpus[d] for d in wanted if d in corpus}, home / "scifact")
    import_folder("vocab", args.vocab_dir, home / "models", id="bench-vocab")
    settings = Settings(vocab_model="bench-vocab")
    settings.save(home)
    sets = {"scifact": [t for _, t in chosen], args.chronam.name: NEWS_QUERIES[: args.news_queries]}
    folders = {"scifact": home / "scifact", args.chronam.name: args.chronam}
    for mode in ("sparse", "bm25"):
        root = home / f"index-{mode}"
        index_paths(list(folders.values()), settings, root=root, use_models=(mode == "sparse"))
        if mode == "sparse":
            searcher = make_searcher(Store(root), settings)
        else:
            searcher = Searcher(Store(root), explainer=explain_results)
        for name, qs in sets.items():
            stats = {"results": 0, "terms": 0, "not_words": 0, "stop_led": 0, "max_sum_error": 0.0}
            for q in qs:
                kind = "news" if name != "scifact" else "text"
                from app.search.types import Filters

                check(searcher.search(q, k=10, explain="terms", filters=Filters(kinds=(kind,))), mode, stats)
            print(f"{name} ({len(qs)} queries, {'vocabulary model ' + args.vocab_dir.name if mode == 'sparse' else 'words only, BM25'}): "
                  + ", ".join(f"{k} {round(v, 6) if isinstance(v, float) else v}" for k, v in stats.items()
                              if k != "examples"))
            if stats.get("examples"):
                print("  terms that are not whole words of the passage:", ", ".join(repr(e) for e in stats["examples"][:20]))


if __name__ == "__main__":
    main()
