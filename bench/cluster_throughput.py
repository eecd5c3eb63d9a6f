"""Pages per second of `lexiscope index --ray local` with 1 and with 2 Ray workers per model stage.

    python bench/cluster_throughput.py FOLDER... [--workers 1 2] [--cpus 2] [--lexical-only]

Each setting indexes the folders into a fresh index (same models, same local cluster size) and prints
files/s, pages/s (indexed documents per second, the unit of the 20M-page plan in docs/scale.md) and
passages/s, plus the time spent per passage. Run it on a quiet machine: on a shared CPU the figures move
with everyone else's load (compare the rows of one run, not runs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("LANCEDB_LOG", "error")
    os.environ.setdefault("LANCE_LOG", "error")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray cluster")
    ap.add_argument("--lexical-only", action="store_true")
    args = ap.parse_args()

    import ray

    from app.cluster.runner import RayOptions, connect, run_ray_index
    from app.config import Settings, data_root
    from app.store import Store

    settings = Settings.load()
    connect(RayOptions(local_cpus=args.cpus), data_root())  # one cluster for every row: start-up not counted
    rows = []
    for n in args.workers:
        where = Path(tempfile.mkdtemp(prefix=f"lexiscope-bench-ray{n}-"))
        t = time.monotonic()
        report = run_ray_index(args.folders, settings, where, RayOptions(workers=n),
                               use_models=not args.lexical_only)
        seconds = time.monotonic() - t
        counts = Store(where, read_only=True).counts()
        row = {"workers": n, "seconds": round(seconds, 1), "files": report.seen, "pages": report.indexed,
               "passages": counts["passages"], "pages_per_s": round(report.indexed / seconds, 3),
               "passages_per_s": round(counts["passages"] / seconds, 2),
               "ms_per_passage": round(1000 * seconds / max(1, counts["passages"]), 1)}
        rows.append(row)
        print(json.dumps(row), flush=True)
        shutil.rmtree(where, ignore_errors=True)
    ray.shutdown()
    if len(rows) > 1:
        print(f"speed-up from {rows[0]['workers']} to {rows[-1]['workers']} workers: "
              f"{rows[-1]['pages_per_s'] / rows[0]['pages_per_s']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
