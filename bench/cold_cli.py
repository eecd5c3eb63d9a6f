"""Cold command-line start-up (issue 10): ``lexiscope search`` with and without models, and a no-op re-index.

Each command runs in a fresh process, as a user types it, measured by a small wrapper (wall seconds, CPU
seconds of the process tree, peak RSS). With ``--against TREE`` every run is paired with the same command
run on another checkout's code (``PYTHONPATH=TREE``: e.g. an older commit exported with ``git archive``), the
two alternating so background load hits both alike, and the ratios are printed; the outputs must be identical.

    python bench/cold_cli.py HOME [--folder FOLDER [--lexical-only]] [--query Q] [--runs 5] [--against TREE]

HOME is an indexed ``LEXISCOPE_HOME`` (index it first: ``LEXISCOPE_HOME=HOME lexiscope index FOLDER``); the
searches write only its search history. ``--folder`` adds the no-op ``lexiscope index FOLDER``, which is a no-op
only while nothing under FOLDER changed since the last complete run (a copied or touched folder re-indexes):
the bench checks that first, as the command does (app.catalog), and stops rather than time a real run.
Goals: search ≤ 2.5 s, ``--mode lexical`` ≤ 1.0 s, no-op ≤ 1.0 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# A small wrapper, so that RUSAGE_CHILDREN's peak is the command's: on Linux a child starts with its parent's
# peak RSS as its own (bench/scale.py, peak_rss_mb), so a peak read in this script would count this script's own.
# The wrapper's own ~12-14 MB stays as a floor (measured: `true` run this way reports 12-14 MB).
_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.run(sys.argv[1:], capture_output=True)\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "sys.stderr.buffer.write(p.stdout)\n"
    "print(p.returncode, time.perf_counter() - t, u.ru_maxrss, u.ru_utime + u.ru_stime)\n"
)


def measure(cmd: list[str], env: dict, cwd: Path) -> tuple[float, float, float, bytes]:
    """Wall seconds, CPU seconds (user + system), peak RSS (MB) and the standard output of ``cmd``."""
    # Run from ``cwd`` (not a checkout): ``python -m`` puts the working folder before PYTHONPATH.
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], env=env, cwd=cwd, capture_output=True, check=True)
    rc, secs, rss_kb, cpu = out.stdout.decode().split()
    if rc != "0":
        raise SystemExit(f"{' '.join(cmd)} failed (exit {rc})")
    return float(secs), float(cpu), int(rss_kb) / 1024, out.stderr


# Whether `lexiscope index FOLDER` would change nothing, decided as the command decides it (app.catalog).
_NOOP_CHECK = (
    "import sys\n"
    "from app import catalog\n"
    "from app.config import Settings, data_root\n"
    "quick = catalog.quick_noop([sys.argv[1]], Settings.load(), data_root(), use_models=sys.argv[2] == 'models')\n"
    "sys.exit(0 if quick is not None else 1)\n"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path, help="an indexed LEXISCOPE_HOME")
    parser.add_argument("--folder", type=Path, help="also time the no-op `lexiscope index FOLDER`")
    parser.add_argument("--lexical-only", action="store_true",
                        help="time `lexiscope index --lexical-only FOLDER` (a HOME indexed without models)")
    parser.add_argument("--query", default="strike at the docks")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--against", type=Path, metavar="TREE", help="pair every run with this checkout's code")
    args = parser.parse_args()

    cli = [sys.executable, "-m", "app.cli"]
    commands = {"search --mode lexical": [*cli, "search", "--mode", "lexical", args.query],
                "search (models)": [*cli, "search", args.query]}
    if args.folder:
        commands["index (no-op)"] = [*cli, "index", *(["--lexical-only"] if args.lexical_only else []),
                                     str(args.folder.resolve())]
    trees = {"this": REPO} | ({"against": args.against.resolve()} if args.against else {})
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    envs = {name: {**base, "LEXISCOPE_HOME": str(args.home.resolve()), "PYTHONPATH": str(tree)}
            for name, tree in trees.items()}
    if args.folder and subprocess.run([sys.executable, "-c", _NOOP_CHECK, str(args.folder.resolve()),
                                       "words" if args.lexical_only else "models"],
                                      env=envs["this"], cwd=args.home).returncode != 0:
        raise SystemExit(f"`lexiscope index {args.folder}` into {args.home} is not a no-op now (new, changed or touched "
                         "files, or meaning still to add): run it once, then this bench")
    print(f"load average {os.getloadavg()[0]:.2f}; {args.runs} runs each, median (min-max)")
    for label, cmd in commands.items():
        runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in trees}
        outputs: dict[str, set[bytes]] = {name: set() for name in trees}
        for _ in range(args.runs):
            for name, env in envs.items():
                wall, cpu, rss, out = measure(cmd, env, args.home)
                if label.startswith("index") and b"nothing changed" not in out:  # checked above: a bug if so
                    raise SystemExit(f"`{' '.join(cmd[3:])}` was not a no-op: {out.decode().strip()[:200]}")
                runs[name].append((wall, cpu, rss))
                outputs[name].add(out)
        for name, values in runs.items():
            walls = [v[0] for v in values]
            print(f"{label:24s} {name:8s} wall {statistics.median(walls):.2f} s ({min(walls):.2f}-{max(walls):.2f}), "
                  f"CPU {statistics.median(v[1] for v in values):.2f} s, RSS {max(v[2] for v in values):.0f} MB")
        if args.against:
            ratio = statistics.median(v[0] for v in runs["this"]) / statistics.median(v[0] for v in runs["against"])
            cpu_ratio = (statistics.median(v[1] for v in runs["this"])
                         / statistics.median(v[1] for v in runs["against"]))
            same = len(outputs["this"]) == 1 and outputs["this"] == outputs["against"]
            print(f"{label:24s} this/against: wall {ratio:.2f}x, CPU {cpu_ratio:.2f}x; "
                  f"output {'identical' if same else 'DIFFERENT'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
