"""``lexiscope eval BEIR_DIR``: retrieval quality and speed on a data set in BEIR layout."""

from __future__ import annotations

import json
import sys

from app.search.modes import MEASURED_MODES


def register(sub) -> None:
    """Add the ``eval`` subcommand."""
    p = sub.add_parser("eval", help="measure nDCG@10, Recall@100, MRR@10, throughput and latency on a BEIR data set")
    p.add_argument("beir_dir", metavar="BEIR_DIR")
    p.add_argument("--mode", default="all", choices=[*MEASURED_MODES, "all"])
    p.add_argument("--split", default="test")
    p.add_argument("--limit", type=int, help="only the first N queries (quick checks)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run the evaluation and print a table or the JSON report."""
    from pathlib import Path

    from app.errors import UserError
    from app.eval import MODES, evaluate

    folder = Path(args.beir_dir)
    if not (folder / "corpus.jsonl").is_file() or not (folder / "qrels" / f"{args.split}.tsv").is_file():
        raise UserError(f"{folder} is not a BEIR data set (needs corpus.jsonl, queries.jsonl, qrels/{args.split}.tsv)")
    modes = MODES if args.mode == "all" else (args.mode,)
    report = evaluate(folder, modes, args.split, limit=args.limit,
                      on_progress=lambda m: print(m, file=sys.stderr))
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    idx = report["index"]
    print(f"{report['dataset']} ({report['split']}): {report['queries']} queries, {report['documents']} documents; "
          f"indexing {idx.get('docs_per_s', '?')} docs/s{' (index reused)' if idx['reused'] else ''}")
    print(f"{'mode':<9} {'nDCG@10':>8} {'R@100':>7} {'MRR@10':>7} {'p50 ms':>7} {'p95 ms':>7}  components")
    for mode, m in report["modes"].items():
        print(f"{mode:<9} {m['ndcg@10']:>8.4f} {m['recall@100']:>7.4f} {m['mrr@10']:>7.4f} "
              f"{m['latency_ms_p50']:>7.1f} {m['latency_ms_p95']:>7.1f}  {m['components']}")
    return 0
