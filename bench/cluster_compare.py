"""Compare two indexes of the same folders (a local `lexiscope index` and a `--ray` one): the status counts
and the top-10 paths of a list of queries. Exits 1 on any difference.

    python bench/cluster_compare.py INDEX_A INDEX_B [--query Q ...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ["strike at the docks", "polio quarantine", "President Wilson", "war in Europe", "Mexico border troops",
           "Fourth of July celebration", "cotton prices", "suffrage for women", "a cat on a chair", "coffee cup"]


def main() -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("LANCEDB_LOG", "error")
    os.environ.setdefault("LANCE_LOG", "error")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--query", action="append")
    args = ap.parse_args()

    from app.config import Settings
    from app.session import make_searcher
    from app.store import Store

    settings = Settings.load()
    stores = [Store(x, read_only=True) for x in (args.a, args.b)]
    ok = True
    for key in ("documents", "passages", "by_state", "by_kind"):
        va, vb = (s.counts()[key] for s in stores)
        ok &= va == vb
        print(f"{key}: {json.dumps(va)} | {json.dumps(vb)} -> {'same' if va == vb else 'DIFFERENT'}")
    pa, pb = (s.pass_counts() for s in stores)
    print(f"passes: {pa} | {pb}")
    searchers = [make_searcher(s, settings) for s in stores]
    same = 0
    queries = args.query or QUERIES
    for q in queries:
        tops = [[r.path for r in s.search(q, k=10).results] for s in searchers]
        same += tops[0] == tops[1]
        print(f"{q!r}: {'same top-10' if tops[0] == tops[1] else 'DIFFERENT'} ({len(tops[0])} hits; first: "
              f"{Path(tops[0][0]).name if tops[0] else '-'})")
    print(f"{same}/{len(queries)} queries give the same top-10 paths")
    ok &= same == len(queries)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
