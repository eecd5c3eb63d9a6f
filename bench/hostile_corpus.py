"""A hostile corpus, indexed with models through the real CLI: time, peak memory, and every file's fate.

Builds (in a temporary folder) the kinds of files issue 13's audit fed the indexer: deeply nested HTML, a
PNG whose header claims 12000×12000 pixels, a DOCX zip bomb, 190 MB of NULs, JSONL and CSV article files
with a bad line, FIFOs, a symlink to /dev/zero, symlink loops, broken links, unreadable files, odd names
(newlines, non-UTF-8 bytes, 250 characters, a leading dash), a truncated PDF, an empty file, a file that
changes type. Then:

1. ``lexiscope index CORPUS`` with the default models (a fresh data folder), timed, with the peak RSS of
   the process tree; every regular file under the corpus must have a row (indexed / skipped / failed with a
   reason) and stderr must hold no traceback.
2. The cost table: each hostile item alone, indexed words-only in a fresh data folder (time, peak RSS,
   outcome), beside the figures the audit measured before the fixes.

    PYTHONPATH=. /work/venv/bin/python bench/hostile_corpus.py            # full sizes (as the audit)
    PYTHONPATH=. /work/venv/bin/python bench/hostile_corpus.py --small    # a quick run

Prints figures only; asserts nothing (the suite's tests do that). Exit code 1 when a file is unaccounted
for or a traceback appeared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What the audit measured on main before the fixes (issue 13, item 8).
BEFORE = {
    "baseline.txt": "(a one-line note: the fixed cost of a run)",
    "nested.html": "275 s",
    "bomb.png": "1.3 GB",
    "bomb.docx": "1.4 GB",
    "zeros.txt": "71 s before 'binary'",
    "articles-40k.csv": "130 s, one batch",
    "bad-line.jsonl": "whole file dropped, wrong line reported",
}


def _png_claiming(path: Path, width: int, height: int) -> None:
    """A PNG whose IHDR claims width×height and whose data is a few zero rows (a pixel-bomb header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (width + 1) * 16, 9)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


def _docx_bomb(path: Path, expanded: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            block = b" " * (1 << 20)
            for _ in range(expanded >> 20):
                fh.write(block)


def hostile_items(folder: Path, small: bool) -> dict[str, Path]:
    """The single hostile items (each measured alone in the cost table); returns name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    items: dict[str, Path] = {}
    # The cost of a run with nothing hostile in it (start-up, LanceDB, writing one row): subtract it.
    p = folder / "baseline.txt"
    p.write_text("One ordinary note about the harbour.\n", encoding="utf-8")
    items[p.name] = p
    depth = 40_000 if small else 440_000  # 2.2 MB of "<div>" at full size
    p = folder / "nested.html"
    p.write_text("<html><body>" + "<div>" * depth + "deep words" + "</div>" * depth + "</body></html>")
    items[p.name] = p
    p = folder / "bomb.png"
    _png_claiming(p, 12000, 12000)
    items[p.name] = p
    p = folder / "bomb.docx"
    _docx_bomb(p, (60 if small else 600) << 20)
    items[p.name] = p
    p = folder / "zeros.txt"
    with open(p, "wb") as fh:
        fh.truncate(19_000_000 if small else 190_000_000)  # sparse: no disk used
    items[p.name] = p
    p = folder / "articles-40k.csv"
    n = 4_000 if small else 40_000
    with open(p, "w", encoding="utf-8") as fh:
        fh.write("id,date,newspaper,text\n")
        for i in range(n):
            fh.write(f'{i},1916-07-04,The Daily Record,"Article {i}: the harbour strike, the ferry and the '
                     f'council met again on the question of the new bridge."\n')
    items[p.name] = p
    p = folder / "bad-line.jsonl"
    lines = [json.dumps({"id": i, "text": f"Record {i} about lighthouses and storms.", "date": "1916-01-05"})
             for i in range(500)]
    lines.insert(250, '{"id": "broken", "text": "no closing brace"')
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items[p.name] = p
    return items


def build_corpus(folder: Path, small: bool) -> None:
    """The whole hostile corpus (for the models run): the items, the special files and the odd names."""
    items = hostile_items(folder / "items", small)
    # The 40k-row CSV is the cost table's; with models its 40k passages would take most of an hour on
    # two cores, so the models run gets a 300-row one.
    big = items["articles-40k.csv"]
    head = big.read_text(encoding="utf-8").splitlines()[:301]
    (folder / "items" / "articles-300.csv").write_text("\n".join(head) + "\n", encoding="utf-8")
    big.unlink()
    special = folder / "special"
    special.mkdir()
    os.mkfifo(special / "a fifo.txt")
    (special / "zero.txt").symlink_to("/dev/zero")
    (special / "loop-a").symlink_to(special / "loop-b")
    (special / "loop-b").symlink_to(special / "loop-a")
    (special / "broken.txt").symlink_to(special / "nowhere.txt")
    (special / "dir-loop").symlink_to(special, target_is_directory=True)
    secret = special / "unreadable.txt"
    secret.write_text("nobody may read this\n")
    secret.chmod(0)
    (special / "empty.txt").write_bytes(b"")
    (special / "truncated.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
                                            b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Co")
    (special / "not-a-docx.docx").write_bytes(b"PK\x03\x04 this is no zip at all")
    (special / "garbage.jpg").write_bytes(os.urandom(4096))
    (special / "binary.md").write_bytes(os.urandom(70_000))
    odd = folder / "odd names"
    odd.mkdir()
    for name in ("new\nline.txt", "-leading dash.txt", "ünïcödé ☃.txt", "x" * 240 + ".txt", "tab\there.md",
                 " spaces .txt", "semi;colon'quote\".txt"):
        (odd / name).write_text(f"A note called {name!r}, about the harbour.\n", encoding="utf-8")
    try:
        (odd / os.fsdecode(b"latin1-\xe9t\xe9.txt")).write_text("Bytes that are not UTF-8 in the name.\n")
    except (OSError, UnicodeError):
        pass
    deep = folder / "deep"
    for i in range(60):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    (deep / "bottom.txt").write_text("The bottom of a very deep folder.\n")
    normal = folder / "normal"
    normal.mkdir()
    for i in range(20):
        (normal / f"note{i}.txt").write_text(f"Field note {i}: the ferry crossed at dawn; gulls over the pier.\n")


def regular_files(folder: Path) -> list[Path]:
    """Every regular file under ``folder`` (symlinks not followed): what must be accounted for."""
    out = []
    for dirpath, _dirnames, filenames in os.walk(folder):
        for name in filenames:
            path = Path(dirpath) / name
            if stat.S_ISREG(os.lstat(path).st_mode):
                out.append(path)
    return out


# A small wrapper so that the peak RSS is the command's own, with a ~12-14 MB floor (see bench/cold_cli.py).
_WRAP = ("import resource, subprocess, sys, json, time\n"
         "t = time.perf_counter(); p = subprocess.run(sys.argv[2:], capture_output=True, text=True, errors='replace')\n"
         "json.dump({'rc': p.returncode, 'seconds': time.perf_counter() - t, 'stdout': p.stdout, 'stderr': p.stderr,\n"
         "           'maxrss_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024},\n"
         "          open(sys.argv[1], 'w'))\n")


def run_cli(home: Path, *args: str, timeout: int = 1800) -> dict:
    """``lexiscope ARGS`` in a fresh wrapper process: exit code, seconds, output and the peak RSS of the
    largest process it started (ru_maxrss of its children)."""
    env = {**os.environ, "LEXISCOPE_HOME": str(home), "PYTHONPATH": str(ROOT)}
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out = Path(tmp.name)
    subprocess.run([sys.executable, "-c", _WRAP, str(out), sys.executable, "-m", "app.cli", *args], env=env,
                   timeout=timeout, check=True)
    result = json.loads(out.read_text())
    out.unlink()
    return result


def outcomes(home: Path) -> dict[str, tuple[str, str]]:
    """path -> (state, reason) for every file row of the index."""
    sys.path.insert(0, str(ROOT))
    from app.store import Store

    rows = Store(home).document_rows(["path", "state", "reason", "parent", "meta"])
    out = {}
    for r in rows:
        if r["parent"]:
            continue
        reason = r["reason"] or ""
        meta = json.loads(r["meta"] or "{}")
        if meta.get("bad_records"):
            reason = f"{meta.get('records', '?')} records kept; {meta['bad_records']} bad: {meta['bad_lines'][0]}"
        elif meta.get("note"):
            reason = meta["note"]
        elif meta.get("records") is not None:
            reason = f"{meta['records']} records"
        out[r["path"]] = (r["state"], reason)
    return out


def main() -> int:
    """Build, index, account, measure; print the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="one tenth of the audit's sizes")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--skip-table", action="store_true", help="only the corpus run with models")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hostile-"))
    ok = True
    try:
        corpus = work / "corpus"
        t = time.perf_counter()
        build_corpus(corpus, args.small)
        print(f"corpus built in {time.perf_counter() - t:.1f}s at {corpus}")
        home = work / "home"
        res = run_cli(home, "index", str(corpus), "--json")
        print(f"\n== lexiscope index CORPUS (default models): exit {res['rc']}, {res['seconds']:.1f} s, "
              f"peak RSS {res['maxrss_mb']:.0f} MB")
        try:
            run_report = json.loads(res["stdout"])
        except ValueError:
            run_report = {"problems": []}
            print(res["stdout"][-600:])
        print({k: run_report.get(k) for k in ("seen", "indexed", "skipped", "failed", "enriched", "seconds")})
        traceback = "Traceback" in res["stderr"] or "Traceback" in res["stdout"]
        print(f"traceback in output: {'YES' if traceback else 'no'}")
        if traceback:
            print(res["stderr"][-3000:])
        ok &= res["rc"] == 0 and not traceback
        rows = outcomes(home)
        # Files the run reported without a row (a name that is not UTF-8 cannot be stored): accounted for.
        for problem in run_report.get("problems", []):
            rows.setdefault(problem["path"], (problem["state"], problem["reason"] + " (run report)"))
        files = regular_files(corpus)
        missing = [p for p in files if str(p) not in rows
                   and os.fsencode(p).decode("utf-8", "backslashreplace") not in rows]
        print(f"regular files: {len(files)}; with a row: {len(files) - len(missing)}; unaccounted: {len(missing)}")
        for p in missing:
            print(f"  UNACCOUNTED {p.relative_to(corpus)!s}")
        ok &= not missing
        print("\nper-file outcome (everything not a plain indexed note):")
        for path, (state, reason) in sorted(rows.items()):
            rel = os.path.relpath(path, corpus)
            if rel.startswith("normal" + os.sep) or (state == "indexed" and not reason):
                continue
            print(f"  {state:8} {rel!r:60.60} {reason[:110]}")
        counts: dict[str, int] = {}
        for state, _ in rows.values():
            counts[state] = counts.get(state, 0) + 1
        print(f"states: {counts}")
        if not args.skip_table:
            print("\n== cost table: each item alone, `lexiscope index ITEM --lexical-only`, fresh data folder")
            print("| item | size on disk | before (audit) | after: seconds | after: peak RSS MB | outcome |")
            print("|---|---:|---|---:|---:|---|")
            items = hostile_items(work / "table", args.small)
            for name, path in items.items():
                solo = work / "solo" / name
                solo.mkdir(parents=True)
                shutil.move(str(path), solo / name)
                h = work / f"home-{name}"
                r = run_cli(h, "index", str(solo), "--lexical-only")
                state, reason = outcomes(h).get(str(solo / name), ("?", "no row"))
                size = os.stat(solo / name).st_blocks * 512 if name == "zeros.txt" else (solo / name).stat().st_size
                print(f"| {name} | {size / 1e6:.2f} MB{' (sparse)' if name == 'zeros.txt' else ''} | "
                      f"{BEFORE.get(name, '')} | {r['seconds']:.1f} | {r['maxrss_mb']:.0f} | "
                      f"{state}: {reason[:80]} |")
                ok &= r["rc"] == 0 and "Traceback" not in r["stderr"]
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            for p in work.rglob("*"):
                if not p.is_symlink():
                    try:
                        p.chmod(0o700 if p.is_dir() else 0o600)
                    except OSError:
                        pass
            shutil.rmtree(work, ignore_errors=True)
    print("\nRESULT:", "every regular file accounted for, no traceback" if ok else "PROBLEMS (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
