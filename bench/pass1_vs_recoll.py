"""Pass 1 (``lexiscope index --lexical-only``) against Recoll's ``recollindex`` on the same folder, side by side.

Prints wall seconds, CPU seconds and peak RSS of a first index and of a no-op re-index for both, and the ratios
(issue 16: pass 1 ≤ 2× Recoll, ≤ 300 MB RSS; a no-op ≤ 1 s). Each command runs in a fresh process
measured by a small wrapper (peak RSS of the command's process tree via RUSAGE_CHILDREN). Runs alternate
between the two tools, ``--repeat`` times, and the median is printed, so background load hits both alike.

    python bench/pass1_vs_recoll.py [FOLDER] [--repeat 3]

Needs Recoll (``apt-get install recoll``). FOLDER defaults to the chronam-1916 sample next to the repo.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "data" / "chronam-1916"

# A small wrapper so that the peak RSS is the command's own, with a ~12-14 MB floor (see bench/cold_cli.py).
_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(rc, time.perf_counter() - t, u.ru_maxrss, u.ru_utime + u.ru_stime)\n"
)


def measure(cmd: list[str], env: dict) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds (user + system) of ``cmd``."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], env=env, capture_output=True, text=True, check=True)
    rc, secs, rss_kb, cpu = out.stdout.split()
    if rc != "0":
        raise SystemExit(f"{cmd[0]} failed (exit {rc})")
    return float(secs), int(rss_kb) / 1024, float(cpu)


def recoll_conf(folder: Path, conf: Path) -> None:
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "recoll.conf").write_text(f"topdirs = {folder}\nloglevel = 1\n", encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", default=str(DEFAULT))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    folder = Path(args.folder).resolve()
    if not shutil.which("recollindex"):
        raise SystemExit("recollindex not found: apt-get install recoll")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    rows: dict[str, list[tuple[float, float, float]]] = {k: [] for k in ("recoll first", "lexiscope first", "recoll no-op",
                                                                    "lexiscope no-op")}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            conf, home = Path(tmp) / "recoll", Path(tmp) / "home"
            recoll_conf(folder, conf)
            lex_env = {**env, "LEXISCOPE_HOME": str(home)}
            recoll = ["recollindex", "-c", str(conf)]
            lex = [sys.executable, "-m", "app.cli", "index", str(folder), "--lexical-only"]
            rows["recoll first"].append(measure(recoll, env))
            rows["lexiscope first"].append(measure(lex, lex_env))
            rows["lexiscope no-op"].append(measure(lex, lex_env))
            rows["recoll no-op"].append(measure(recoll, env))
    med = {k: (statistics.median(x[0] for x in v), max(x[1] for x in v), statistics.median(x[2] for x in v))
           for k, v in rows.items()}
    print(f"{folder} ({sum(1 for p in folder.rglob('*') if p.is_file())} files), median of {args.repeat}")
    print(f"{'run':<18}{'seconds':>10}{'peak RSS MB':>14}{'CPU s':>10}")
    for k, (s, r, c) in med.items():
        print(f"{k:<18}{s:>10.2f}{r:>14.0f}{c:>10.2f}")
    print(f"pass 1 / recoll: {med['lexiscope first'][0] / med['recoll first'][0]:.2f}x time (target ≤ 2x), "
          f"{med['lexiscope first'][1]:.0f} MB (target ≤ 300)")
    print(f"CPU: pass 1 / recoll {med['lexiscope first'][2] / max(med['recoll first'][2], 1e-9):.2f}x "
          "(less sensitive to other load than wall time)")
    print(f"no-op: {med['lexiscope no-op'][0]:.2f} s (target ≤ 1 s), "
          f"{med['lexiscope no-op'][0] / med['recoll no-op'][0]:.1f}x recoll")
    return 0


if __name__ == "__main__":
    sys.exit(main())
