"""After pass 2, does the index answer exactly like a one-pass index? Same top-10 for the same queries.

Indexes the same folders twice: once with the one-pass indexer (``run_index`` with the embedder and the
annotators, as before issue 16) and once in two passes (``index_paths``: words, then meaning), with the same
models, then runs every query (hybrid, k=10) against both and prints how many top-10 lists are identical
and the largest fused-score difference.

    python bench/two_pass_equivalence.py [--scifact DIR] [--chronam DIR] [--docs 300] [--queries 20] [--tiny]

``--tiny`` builds tiny random models of the real architectures (tests.fixtures.tiny_models) so it runs
with no model installed; without it the models configured in LEXISCOPE_HOME are used.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHRONAM_QUERIES = [
    "troops crossed the Mexican border", "Villa bandits raid Columbus", "price of wheat and corn",
    "submarine sinks passenger steamer", "President Wilson message to congress", "infantile paralysis epidemic",
    "suffrage amendment women vote", "county fair premiums", "railroad strike threatened",
    "Carranza note to Washington", "liberty of the seas", "automobile accident on the highway",
    "Red Cross relief fund", "preparedness parade", "national guard mobilized", "German army Verdun",
    "election returns Hughes", "prohibition saloon license", "school board meeting", "fire destroyed the barn",
]


def scifact_docs(beir: Path, out: Path, n: int) -> list[str]:
    """The first ``n`` SciFact documents as files, and the first queries."""
    out.mkdir(parents=True)
    with open(beir / "corpus.jsonl", encoding="utf-8") as fh:
        for _i, line in zip(range(n), fh):
            d = json.loads(line)
            (out / f"{d['_id']}.txt").write_text(f"{d.get('title', '')}\n\n{d['text']}\n", encoding="utf-8")
    with open(beir / "queries.jsonl", encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh]


def one_pass(root: Path, folders: list[Path], settings, embedder) -> None:
    """The pre-issue-16 indexer: annotate and embed each batch before writing it."""
    from app.news.annotate import annotators_for
    from app.pipeline import run_index
    from app.store import Store

    store = Store(root, embedder.vector_columns(), embedder.vocab_model)
    with store.lock():
        gen = run_index(store, folders, embedder=embedder, annotators=annotators_for(settings, root),
                        passage_chars=settings.passage_chars)
        for _ in gen:
            pass


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scifact", default=str(REPO.parent / "shared" / "data" / "scifact"))
    ap.add_argument("--chronam", default=str(REPO.parent / "shared" / "data" / "chronam-1916"))
    ap.add_argument("--docs", type=int, default=300, help="SciFact documents to index")
    ap.add_argument("--queries", type=int, default=20, help="queries per collection")
    ap.add_argument("--tiny", action="store_true", help="tiny random models instead of the installed ones")
    args = ap.parse_args()

    import os

    from app.config import Settings
    from app.embed import build_embedder
    from app.index_run import index_paths
    from app.session import make_searcher
    from app.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.tiny:
            from tests.fixtures.tiny_models import install_tiny_models

            os.environ["LEXISCOPE_HOME"] = str(tmp / "models-home")
            settings = install_tiny_models(tmp / "models-home", tmp / "built", roles=("text", "vocab"))
        else:
            settings = Settings.load()
        embedder = build_embedder(settings)
        sets = []
        if Path(args.scifact).exists():
            queries = scifact_docs(Path(args.scifact), tmp / "scifact", args.docs)
            sets.append(("scifact", tmp / "scifact", queries[: args.queries]))
        if Path(args.chronam).exists():
            sets.append(("chronam", Path(args.chronam), CHRONAM_QUERIES[: args.queries]))
        if not sets:
            raise SystemExit("neither --scifact nor --chronam exists")
        folders = [folder for _, folder, _ in sets]
        one_pass(tmp / "one", folders, settings, embedder)
        report = index_paths(folders, settings, root=tmp / "two", embedder=embedder)
        print(f"models: {[c.model_id for c in embedder.vector_columns()]} + vocab {embedder.vocab_model or '-'}; "
              f"two-pass: {report.indexed} files, {report.enriched} passages given meaning")
        a, b = make_searcher(Store(tmp / "one"), settings), make_searcher(Store(tmp / "two"), settings)
        for name, _, queries in sets:
            same, worst = 0, 0.0
            for q in queries:
                ra, rb = a.search(q, k=10).results, b.search(q, k=10).results
                same += [r.path for r in ra] == [r.path for r in rb]
                worst = max([worst] + [abs(x.score - y.score) for x, y in zip(ra, rb)])
            print(f"{name}: identical top-10 for {same} / {len(queries)} queries; largest fused-score difference "
                  f"{worst:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
