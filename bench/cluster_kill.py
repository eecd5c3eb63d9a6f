"""Kill a Ray worker, and separately the driver, in the middle of `lexiscope index --ray local`; re-run;
assert that the index holds exactly what an uninterrupted local `lexiscope index` of the same folders holds.

    python bench/cluster_kill.py FOLDER... [--models] [--work DIR]

Three indexes are built under --work: ``reference`` (the local indexer, uninterrupted), ``worker-kill`` (one
Ray actor SIGKILLed after the first commit; Ray restarts it and retries its tasks; the run must finish by
itself) and ``driver-kill`` (the driver SIGKILLed after the first commit, then the same command again).
Each is checked for: no duplicate passage ids, the same (path, state, kind, passages) per document and the
same (path, ordinal, start, end) per passage as the reference. Exits 1 on any difference.
By default the runs are words-only (``--lexical-only``) to keep them short; ``--models`` embeds too.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lexiscope(args: list[str], home: Path, index: Path | None = None, **kw) -> subprocess.Popen:
    """Start the CLI (its own session, so the local Ray cluster it starts can be killed with it)."""
    env = dict(os.environ, LEXISCOPE_HOME=str(home), PYTHONPATH=str(ROOT), LANCEDB_LOG="error")
    cmd = [sys.executable, "-m", "app.cli", *args] + (["--index", str(index)] if index else [])
    return subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True, **kw)


def committed(index: Path) -> int:
    """Documents committed so far (read while the run writes; 0 before the tables exist)."""
    from app.store import Store

    try:
        return Store(index, read_only=True).documents.count_rows()
    except Exception:  # not created yet, or mid-commit: ask again
        return 0


def ray_workers(session_pid: int) -> list[tuple[int, str]]:
    """The Ray worker processes running a stage under a run's session: the encoder and entity actors first
    (with models), else the task workers reading and writing (words only has no actors)."""
    out = subprocess.run(["ps", "-eo", "pid=,sid=,args="], capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        pid, sid, cmd = line.strip().split(None, 2)
        if int(sid) == session_pid and cmd.startswith("ray::Map"):
            found.append((int(pid), cmd))
    return sorted(found, key=lambda f: not f[1].startswith("ray::MapWorker"))


def wait_for_first_commit(proc: subprocess.Popen, index: Path, timeout: float = 1800) -> None:
    t0 = time.monotonic()
    while committed(index) == 0:
        if proc.poll() is not None:
            raise SystemExit(f"the run ended (rc {proc.returncode}) before its first commit: use more files")
        if time.monotonic() - t0 > timeout:
            raise SystemExit("no commit within the timeout")
        time.sleep(1.0)


def kill_session(proc: subprocess.Popen) -> None:
    """SIGKILL the driver and everything it started (its local Ray cluster)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def snapshot(index: Path) -> dict:
    """What the comparison looks at."""
    from app.store import Store

    store = Store(index, read_only=True)
    passages = store.passage_rows("true", ["passage_id", "path", "ordinal", "start", "end"])
    return {
        "docs": sorted((r["path"], r["state"], r["kind"], r["n_passages"]) for r in store.document_rows()),
        "passages": sorted((r["path"], r["ordinal"], r["start"], r["end"]) for r in passages),
        "ids": [r["passage_id"] for r in passages],
    }


def check(name: str, got: dict, want: dict) -> bool:
    dup = len(got["ids"]) - len(set(got["ids"]))
    missing = sorted(set(want["passages"]) - set(got["passages"]))
    extra = sorted(set(got["passages"]) - set(want["passages"]))
    ok = dup == 0 and not missing and not extra and got["docs"] == want["docs"]
    print(f"{name}: {len(got['docs'])} documents, {len(got['ids'])} passages; duplicate ids {dup}, "
          f"missing {len(missing)}, extra {len(extra)}, documents equal: {got['docs'] == want['docs']} -> "
          f"{'OK' if ok else 'FAIL'}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--models", action="store_true", help="embed with the configured models (slower)")
    ap.add_argument("--work", default="/tmp/lexiscope-cluster-kill")
    args = ap.parse_args()
    work = Path(args.work)
    home = work / "home"  # settings and models for every run
    home.mkdir(parents=True, exist_ok=True)
    flags = [] if args.models else ["--lexical-only"]
    for sub in ("reference", "worker-kill", "driver-kill"):
        subprocess.run(["rm", "-rf", str(work / sub)], check=True)

    t = time.monotonic()
    assert lexiscope(["index", *flags, *args.folders], home, work / "reference").wait() == 0
    want = snapshot(work / "reference")
    print(f"reference (local indexer): {len(want['docs'])} documents, {len(want['ids'])} passages "
          f"in {time.monotonic() - t:.0f}s")
    ray = ["index", "--ray", "local", *flags, *args.folders]

    # 1. One worker killed: the run must complete by itself (Ray restarts the actor, retries its tasks).
    proc = lexiscope(ray, home, work / "worker-kill")
    wait_for_first_commit(proc, work / "worker-kill")
    workers = []
    for _ in range(100):  # a task worker shows its stage only while it runs one
        if (workers := ray_workers(proc.pid)) or proc.poll() is not None:
            break
        time.sleep(0.05)
    if not workers:
        print("no Ray worker was running a stage after the first commit (the run is too short to kill one)")
        kill_session(proc)
        return 1
    pid, title = workers[0]
    os.kill(pid, signal.SIGKILL)
    print(f"worker-kill: SIGKILLed {title.split()[0]} (pid {pid}) after {committed(work / 'worker-kill')} "
          "documents were committed")
    rc = proc.wait()
    print(f"worker-kill: the run finished by itself, rc {rc}")
    ok = rc == 0 and check("worker-kill", snapshot(work / "worker-kill"), want)

    # 2. The driver killed (with the local cluster it started); the same command again completes it.
    proc = lexiscope(ray, home, work / "driver-kill")
    wait_for_first_commit(proc, work / "driver-kill")
    kill_session(proc)
    print(f"driver-kill: SIGKILLed the driver after {committed(work / 'driver-kill')} documents were committed")
    mid = snapshot(work / "driver-kill")
    print(f"driver-kill: the killed run's index opens: {len(mid['docs'])} documents, {len(mid['ids'])} passages, "
          f"{len(mid['ids']) - len(set(mid['ids']))} duplicate ids")
    rc = lexiscope(ray, home, work / "driver-kill").wait()
    print(f"driver-kill: re-run rc {rc}")
    ok = check("driver-kill", snapshot(work / "driver-kill"), want) and rc == 0 and ok
    print(json.dumps({"ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
