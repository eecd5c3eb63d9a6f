"""A 50 MB text file of one repeated sentence, indexed with the models (issue 10: ≤ 60 s).

Identical passages are encoded once (the content cache in app.stages.embed_batch, slices that carry
repeated content in app.enrich), so the run costs reading, splitting and writing, not the encoder.
Writes the file in a temporary folder, runs ``lexiscope index`` on it in a fresh process (the models' int8
graph is built before timing, in a shared model cache) and prints the wall and CPU seconds, the passages,
and how many the models actually encoded.

    python bench/repeated_text.py [--mb 50] [--serial]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from pipelined_vs_serial import run  # the same timed `lexiscope index` run (bench/ is on sys.path as the script's folder)

REPO = Path(__file__).resolve().parents[1]
SENTENCE = "The quick brown fox jumps over the lazy dog near the river bank. "


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=50.0)
    ap.add_argument("--serial", action="store_true", help="pass 2 in one process")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="lexiscope-repeat-") as tmp:
        tmp = Path(tmp)
        folder = tmp / "logs"
        folder.mkdir()
        n = int(args.mb * 1e6 / len(SENTENCE))
        # A line break every 10 sentences, as a log or a text dump has.
        line = SENTENCE * 10 + "\n"
        (folder / "repeated.txt").write_text(line * (n // 10), encoding="utf-8")
        size = (folder / "repeated.txt").stat().st_size
        warm = tmp / "warm"
        warm.mkdir()
        (warm / "a.txt").write_text("A few words to load the models with, once.", encoding="utf-8")
        home = tmp / "home"
        env = {**os.environ, "LEXISCOPE_HOME": str(home), "PYTHONPATH": str(REPO)}
        subprocess.run([sys.executable, "-m", "app.cli", "index", str(warm), "--serial"], env=env, check=True,
                       capture_output=True)
        timed = run(folder, home, args.serial)
        wall, cpu, report = timed["wall"], timed["cpu"], timed["report"]
        print(f"{size / 1e6:.1f} MB of one repeated sentence ({'serial' if args.serial else 'default'} pass 2): "
              f"{wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {timed['peak_rss_mb']:.0f} MB; "
              f"{report['enriched']} passages given meaning, {report['meaning_pending']} pending (target: ≤ 60 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
