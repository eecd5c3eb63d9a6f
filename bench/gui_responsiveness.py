"""GUI responsiveness benchmark (not a test): GUI-thread stalls while indexing, and time to a shown window.

(a) Stall: a QTimer ticks every 5 ms on the GUI thread while the window indexes a folder (the same
    IndexController worker path as a drop); the longest gap between ticks is the longest freeze a user
    would feel. Goal: no stall over 50 ms.
(b) Start-up: spawn ``python -m app.cli`` (no subcommand: the window) with LEXISCOPE_REPORT_SHOWN=exit
    and time from just before the spawn to the line the window prints once it is shown. Goal: < 2 s.

Usage:
    .venv/bin/python bench/gui_responsiveness.py                    # chronam-1916 + images, words only
    .venv/bin/python bench/gui_responsiveness.py --models           # with the configured models
    .venv/bin/python bench/gui_responsiveness.py --skip-stall --starts 5
    .venv/bin/python bench/gui_responsiveness.py ../shared/data/chronam-1916 --models --starts 0 --skip-stall --stop
    .venv/bin/python bench/gui_responsiveness.py ../shared/data/chronam-1916 --models --starts 0 --skip-stall --stop \
        --stop-during meaning   # the clicks land while pass 2 runs the models
    .venv/bin/python bench/gui_responsiveness.py --home DATA_ROOT --models --starts 0 --skip-stall --searches 20

(c) With ``--home DATA_ROOT`` (an existing data root, e.g. a 1M-passage index kept by ``bench/scale.py --keep``
    with its ``models`` folder beside ``index``): the same 5 ms ticks while the window opens on that index and
    runs ``--searches`` searches one after another (SciFact test queries); the longest gap is the longest
    freeze on a big collection. Goal: no stall over 50 ms. Each gap's GUI-thread CPU time is reported too:
    a long gap with little of it is the thread waiting (for a CPU on a loaded machine, or for the GIL).
    The window runs on a scratch data root that links to DATA_ROOT's index and models: DATA_ROOT is only
    read (no history, layout or settings written into it). ``--profile-gaps`` prints, for each gap over
    50 ms, what every thread of the window's process was running in it (sampled stacks).
(d) ``--stop``: the drop-to-first-count, Pause and Cancel timings, and the longest GUI stall during them.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
DEFAULT_FOLDERS = [DATA / "chronam-1916", DATA / "images"]
TICK_MS = 5


def machine() -> str:
    """A one-line description of this machine."""
    return (f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, Qt platform {os.environ.get('QT_QPA_PLATFORM', 'default')}")


def measure_stall(folders: list[Path], use_models: bool) -> dict:
    """Index ``folders`` in a window on a fresh data root; return tick-gap statistics."""
    os.environ["LEXISCOPE_HOME"] = tempfile.mkdtemp(prefix="lexiscope-bench-")
    from app.ui.qt import QApplication, Qt, QTimer
    from app.ui.style import apply_style
    from app.ui.window import MainWindow

    app = QApplication.instance() or QApplication([])
    apply_style(app)
    win = MainWindow(use_models=use_models)
    win.show()
    gaps: list[float] = []
    last = [time.perf_counter()]

    events: list[tuple[float, str]] = []  # (seconds since start, progress text): to place each stall
    stalls: list[tuple[float, float]] = []

    def tick() -> None:
        now = time.perf_counter()
        gap = (now - last[0]) * 1000
        gaps.append(gap)
        if gap > 50:
            stalls.append((now - t0, gap))
        last[0] = now

    win.indexer.progressText.connect(lambda text: events.append((time.perf_counter() - t0, text)))
    # Garbage-collector pauses in the window's process, to tell them apart from CPU starvation.
    gc_pauses: list[float] = []
    gc_start = [0.0]

    def on_gc(phase, info) -> None:
        if phase == "start":
            gc_start[0] = time.perf_counter()
        else:
            gc_pauses.append((time.perf_counter() - gc_start[0]) * 1000)

    gc.callbacks.append(on_gc)

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    reports = []
    win.indexer.finished.connect(reports.append)
    # Let the window settle (first paint, counts) before measuring.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and win.summary is None:
        app.processEvents()
        time.sleep(0.005)
    timer.start()
    t0 = time.perf_counter()
    last[0] = t0
    win.add_paths([str(f) for f in folders])
    while not reports:
        app.processEvents()
        time.sleep(0.001)
    seconds = time.perf_counter() - t0
    index_gaps = sorted(gaps)
    # Then the first search, which loads the search models on a pool thread of this process.
    got = []
    win.searcher.results.connect(lambda *a: got.append(a))
    gaps.clear()
    s0 = time.perf_counter()
    last[0] = s0
    win.search_bar.search_words("fourth of july celebration")
    while not got:
        app.processEvents()
        time.sleep(0.001)
    search_seconds = time.perf_counter() - s0
    search_max = max(gaps) if gaps else 0.0
    timer.stop()
    gc.callbacks.remove(on_gc)
    win.close()
    gaps = index_gaps
    report = reports[0]
    for at, gap in stalls:
        before = [text for t, text in events if t <= at]
        print(f"  stall {gap:.0f} ms at {at:.1f} s, during: {before[-1] if before else 'start'}")
    return {
        "files_indexed": report.indexed,
        "seconds": round(seconds, 1),
        "ticks": len(gaps),
        "max_gap_ms": round(gaps[-1], 1),
        "p99_gap_ms": round(gaps[int(len(gaps) * 0.99) - 1], 1),
        "median_gap_ms": round(statistics.median(gaps), 1),
        "gaps_over_50ms": sum(g > 50 for g in gaps),
        "first_search_seconds": round(search_seconds, 2),
        "first_search_max_gap_ms": round(search_max, 1),
        "max_gc_pause_ms": round(max(gc_pauses, default=0.0), 1),
    }


def measure_start(runs: int) -> list[float]:
    """Seconds from spawn to a shown window, per run (the first run is colder: imports not cached)."""
    out = []
    env = dict(os.environ, LEXISCOPE_REPORT_SHOWN="exit", QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    env["LEXISCOPE_HOME"] = tempfile.mkdtemp(prefix="lexiscope-bench-start-")
    for _ in range(runs):
        t0 = time.time()
        proc = subprocess.run([sys.executable, "-m", "app.cli"], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        shown = [line for line in proc.stdout.splitlines() if line.startswith("window-shown ")]
        if not shown:
            raise SystemExit(f"the window did not report being shown:\n{proc.stdout}\n{proc.stderr}")
        out.append(float(shown[0].split()[1]) - t0)
    return out


def _pump(app, predicate, timeout_s: float = 600) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents()
        if predicate():
            return True
        time.sleep(0.002)
    return False


def measure_stop(folders: list[Path], use_models: bool, query: str = "city", during: str = "words",
                 profile: bool = False) -> dict:
    """Seconds from the drop to the first progress text with a count and to the first words-search result,
    and from a click on Pause (then, after Resume, on Cancel) to the run having stopped; files processed
    after each click. A fresh data root, the real window and its indexing process. ``during="meaning"``
    clicks while pass 2 runs the models (the slowest steps between two commits) instead of in pass 1."""
    import re

    os.environ["LEXISCOPE_HOME"] = tempfile.mkdtemp(prefix="lexiscope-bench-stop-")
    from app.ui.qt import QApplication
    from app.ui.style import apply_style
    from app.ui.window import MainWindow

    app = QApplication.instance() or QApplication([])
    apply_style(app)
    win = MainWindow(use_models=use_models)
    win.show()
    _pump(app, lambda: win.summary is not None, 30)
    texts: list[tuple[float, str]] = []
    done: list[tuple[float, int]] = []
    reports: list = []
    found: list[float] = []
    win.indexer.progressText.connect(lambda t: texts.append((time.perf_counter(), t)))
    win.indexer.progressValue.connect(lambda d, total: done.append((time.perf_counter(), d)) if total else None)
    win.indexer.finished.connect(reports.append)
    win.searcher.results.connect(lambda req, resp, thumbs: found.append(time.perf_counter()) if resp.results else None)
    ticker = Ticker()  # the GUI thread's stalls through the drop, the searches and the clicks
    ticker.start()
    profiler = GapProfiler() if profile else None
    if profiler:
        profiler.start()
    t0 = time.perf_counter()
    phases = [(t0, "drop")]
    win.add_paths([str(f) for f in folders])
    _pump(app, lambda: any(re.search(r"\d", t) for _, t in texts))
    first_count = next(at for at, t in texts if re.search(r"\d", t)) - t0
    # Search while pass 1 writes words: the first result that comes back, counted from the drop.
    while not found and not reports and time.perf_counter() - t0 < 120:
        if not win.searcher._running:
            win.search_bar.search_words(query)
        _pump(app, lambda: bool(found) or bool(reports), 0.5)
    first_result = (found[0] - t0) if found else None
    phases.append((time.perf_counter(), "indexing"))
    _pump(app, lambda: any(d > 0 for _, d in done) or bool(reports))
    if during == "meaning":
        _pump(app, lambda: any(t.startswith("Adding meaning") for _, t in texts) or bool(reports), 600)
    out = {"first_count_s": round(first_count, 2), "clicks_during": during,
           "first_words_result_s": round(first_result, 2) if first_result is not None else None}
    for action, state in (("pause", "paused"), ("cancel", "idle")):
        if reports:
            out[f"click_to_{action}_s"] = "finished before the click"
            break
        at_click = done[-1][1] if done else 0
        c0 = time.perf_counter()
        phases.append((c0, action))
        getattr(win.sources, action).click()
        _pump(app, lambda state=state: win.indexer.state == state and not win.indexer.busy())
        out[f"click_to_{'paused' if action == 'pause' else 'cancelled'}_s"] = round(time.perf_counter() - c0, 2)
        if during == "words":  # pass 2 counts passages, and a killed run reports none
            out[f"files_after_{action}_click"] = (reports[-1].indexed - at_click) if reports else None
        if action == "pause":
            reports.clear()
            done.clear()
            r0 = time.perf_counter()
            phases.append((r0, "resume"))
            win.sources.resume.click()
            _pump(app, lambda: any(d > 0 for _, d in done) or bool(reports))
            out["resume_to_progress_s"] = round(time.perf_counter() - r0, 2)
            if during == "meaning":
                texts.clear()
                _pump(app, lambda: any(t.startswith("Adding meaning") for _, t in texts) or bool(reports), 600)
    ticker.stop()
    win.close()
    if profiler:
        profiler.stop()
        profiler.print_gaps(ticker, t0, phases)
    stalls = ticker.stats()
    out.update({k: stalls[k] for k in ("max_gap_ms", "max_gap_gui_cpu_ms", "p99_gap_ms", "gaps_over_50ms")})
    return out


def scratch_home(home: Path) -> Path:
    """A fresh data root that links to ``home``'s index, models and thumbnails and copies its settings.

    The window writes its history, layout and settings into the data root: through this one the measured
    index (often shared, or kept for the next run) is only read, and every run starts with no history.
    """
    import shutil

    scratch = Path(tempfile.mkdtemp(prefix="lexiscope-bench-home-"))
    for name in ("index", "models", "thumbs"):
        if (home / name).exists():
            (scratch / name).symlink_to((home / name).resolve())
    if (home / "settings.json").exists():
        shutil.copy(home / "settings.json", scratch / "settings.json")
    return scratch


class GapProfiler:
    """Samples every thread's stack every ``SAMPLE_MS`` (a Python thread: it needs the GIL too, so a sample
    that comes late says another thread held it) to say what ran during each long gap. Diagnosis only: the
    sampling itself costs the window some CPU, so figures taken with it are not the benchmark's."""

    SAMPLE_MS = 2

    def __init__(self) -> None:
        import threading

        self.main = threading.main_thread().ident
        self.names: dict[int, str] = {}
        self.samples: list[tuple[float, dict[int, tuple[str, ...]]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gap-profiler", daemon=True)

    def start(self) -> None:
        """Begin sampling."""
        self._thread.start()

    def stop(self) -> None:
        """End sampling."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import threading

        me = threading.get_ident()
        while not self._stop.wait(self.SAMPLE_MS / 1000):
            now = time.perf_counter()
            stacks = {}
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                stack = []
                f = frame
                while f is not None and len(stack) < 40:
                    code = f.f_code
                    stack.append(f"{Path(code.co_filename).name}:{f.f_lineno} {code.co_name}")
                    f = f.f_back
                stacks[ident] = tuple(stack)
            self.samples.append((now, stacks))
            if len(self.names) < len(stacks):
                self.names = {t.ident: t.name for t in threading.enumerate() if t.ident is not None}

    def print_gaps(self, ticker: "Ticker", t0: float, phases: list[tuple[float, str]]) -> None:
        """Print, for each of ``ticker``'s gaps over 50 ms, when it was (seconds from ``t0``, the phase it fell
        in: ``phases`` holds (start, name)) and what each thread ran in it."""
        for gap, cpu, end in zip(ticker.gaps, ticker.busy, ticker.ends):
            if gap > 50:
                phase = ([name for at, name in phases if at <= end] or ["start"])[-1]
                print(f"  gap {gap:.0f} ms ({cpu:.0f} ms GUI CPU) ending at {end - t0:.2f} s, during {phase}:")
                print("\n".join(self.report(end - gap / 1000, end)))

    def report(self, start: float, end: float, depth: int = 14) -> list[str]:
        """Lines describing the samples between ``start`` and ``end`` (perf_counter seconds)."""
        from collections import Counter

        inside = [(t, s) for t, s in self.samples if start <= t <= end]
        lines = [f"    {len(inside)} samples; sample intervals (ms): "
                 + ", ".join(f"{(b[0] - a[0]) * 1000:.0f}" for a, b in zip(inside, inside[1:]) if b[0] - a[0] > 0.008)]
        by_thread: dict[int, Counter] = {}
        for _, stacks in inside:
            for ident, stack in stacks.items():
                by_thread.setdefault(ident, Counter())[stack[:depth]] += 1
        for ident, counts in sorted(by_thread.items(), key=lambda kv: kv[0] != self.main):
            name = "GUI" if ident == self.main else self.names.get(ident, str(ident))
            for stack, n in counts.most_common(2):
                idle = any(w in stack[0] for w in ("wait", "get ", "select", "sleep", "_pump", "acquire"))
                if ident != self.main and idle:
                    continue
                lines.append(f"    [{name}] x{n}: " + " <- ".join(stack))
        return lines


class Ticker:
    """A 5 ms timer on the GUI thread that records each gap between ticks, the GUI thread's own CPU time in
    it (little of it: the thread waited, for a CPU or for the GIL) and when it ended."""

    def __init__(self) -> None:
        from app.ui.qt import Qt, QTimer

        self.gaps: list[float] = []
        self.busy: list[float] = []
        self.ends: list[float] = []
        self._last = (time.perf_counter(), time.thread_time())
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.gaps.append((now - self._last[0]) * 1000)
        self.busy.append((cpu - self._last[1]) * 1000)
        self.ends.append(now)
        self._last = (now, cpu)

    def start(self) -> None:
        """Start ticking."""
        self.reset()
        self.timer.start()

    def reset(self) -> None:
        """Forget the gaps so far (the next gap counts from now)."""
        self._last = (time.perf_counter(), time.thread_time())
        self.gaps.clear()
        self.busy.clear()
        self.ends.clear()

    def stop(self) -> None:
        """Stop ticking."""
        self.timer.stop()

    def stats(self) -> dict:
        """Longest gap (and its GUI CPU), p99, and how many gaps passed 50 ms (and of those, with ≥ 30 ms of CPU)."""
        gaps, busy = self.gaps, self.busy
        ordered = sorted(gaps)
        worst = max(range(len(gaps)), key=gaps.__getitem__) if gaps else None
        return {"ticks": len(ordered), "max_gap_ms": round(ordered[-1], 1) if ordered else 0.0,
                "max_gap_gui_cpu_ms": round(busy[worst], 1) if worst is not None else 0.0,
                "p99_gap_ms": round(ordered[int(len(ordered) * 0.99) - 1], 1) if ordered else 0.0,
                "gaps_over_50ms": sum(g > 50 for g in ordered),
                "gaps_over_50ms_with_30ms_gui_cpu": sum(g > 50 and b > 30 for g, b in zip(gaps, busy))}


def measure_big_index(home: Path, use_models: bool, searches: int, data: Path, profile: bool = False) -> dict:
    """Open the window on an existing data root and search it ``searches`` times; tick-gap statistics.

    The window runs on a scratch data root linked to ``home``'s index (:func:`scratch_home`): ``home`` is
    only read. ``profile``: also print what every thread was doing during each gap over 50 ms.
    """
    import json

    os.environ["LEXISCOPE_HOME"] = str(scratch_home(home))
    from app.ui.qt import QApplication
    from app.ui.style import apply_style
    from app.ui.window import MainWindow

    queries = []
    with open(data / "scifact" / "queries.jsonl", encoding="utf-8") as fh:
        for line in fh:
            queries.append(json.loads(line)["text"])
            if len(queries) >= searches:
                break
    app = QApplication.instance() or QApplication([])
    t0 = time.perf_counter()
    ticker = Ticker()
    ticker.start()
    profiler = GapProfiler() if profile else None
    if profiler:
        profiler.start()
    apply_style(app)
    win = MainWindow(use_models=use_models)
    win.show()
    ticker.reset()  # construction is the start-up figure, not a stall
    _pump(app, lambda: win.summary is not None, 120)
    open_s = time.perf_counter() - t0
    open_max = max(ticker.gaps, default=0.0)
    got: list = []
    win.searcher.results.connect(lambda *a: got.append(time.perf_counter()))
    per_search = []
    search_starts: list[float] = []
    for q in queries:
        n, s0 = len(got), time.perf_counter()
        search_starts.append(s0)
        win.search_bar.search_words(q)
        _pump(app, lambda n=n: len(got) > n, 120)
        per_search.append(time.perf_counter() - s0)
    _pump(app, lambda: False, 0.5)  # the last answer's rows and detail pane paint after its signal
    ticker.stop()
    win.close()
    if profiler:
        profiler.stop()
        profiler.print_gaps(ticker, t0, [(t0, "open")] + [(s, f"search {i + 1}") for i, s in enumerate(search_starts)])
    stats = ticker.stats()
    return {"max_gap_gui_cpu_ms": stats.pop("max_gap_gui_cpu_ms"),
            "gaps_over_50ms_with_30ms_gui_cpu": stats.pop("gaps_over_50ms_with_30ms_gui_cpu"),
            "open_s": round(open_s, 2), "open_max_gap_ms": round(open_max, 1), "searches": len(per_search),
            "first_search_s": round(per_search[0], 2) if per_search else None,
            "search_median_s": round(statistics.median(per_search), 3) if per_search else None, **stats}


def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=DEFAULT_FOLDERS)
    parser.add_argument("--models", action="store_true", help="index with the configured models (default: words only)")
    parser.add_argument("--starts", type=int, default=3, help="start-up runs")
    parser.add_argument("--skip-stall", action="store_true")
    parser.add_argument("--stop", action="store_true", help="also time pause, cancel, first count and first result")
    parser.add_argument("--stop-during", choices=("words", "meaning"), default="words",
                        help="click Pause/Cancel in pass 1 (words) or pass 2 (meaning: with --models)")
    parser.add_argument("--home", type=Path, help="an existing data root (a big index): open it and search it")
    parser.add_argument("--searches", type=int, default=20, help="searches on --home")
    parser.add_argument("--data", type=Path, default=DATA, help="where scifact/ is (the --home queries)")
    parser.add_argument("--profile-gaps", action="store_true",
                        help="with --home or --stop: print every thread's stacks during each gap over 50 ms "
                             "(diagnosis; the sampling perturbs the figures)")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("LANCEDB_LOG", "error")
    print(f"machine: {machine()}")
    if args.starts:
        times = measure_start(args.starts)
        print(f"start-up to shown window: {', '.join(f'{t:.2f}' for t in times)} s "
              f"(median {statistics.median(times):.2f} s; goal < 2 s)")
    if not args.skip_stall:
        stats = measure_stall(args.folders, args.models)
        print(f"indexing {' + '.join(f.name for f in args.folders)} ({'models' if args.models else 'words only'}): "
              + ", ".join(f"{k} {v}" for k, v in stats.items()))
        print(f"longest GUI-thread stall: {stats['max_gap_ms']} ms (goal < 50 ms)")
    if args.home:
        big = measure_big_index(args.home, args.models, args.searches, args.data, args.profile_gaps)
        print(f"window on {args.home} ({'models' if args.models else 'words only'}): "
              + ", ".join(f"{k} {v}" for k, v in big.items()))
        print(f"longest GUI-thread stall on the big index: {big['max_gap_ms']} ms (goal <= 50 ms)")
    if args.stop:
        stop = measure_stop(args.folders[:1], args.models, during=args.stop_during, profile=args.profile_gaps)
        print(f"stop and first answers on {args.folders[0].name} ({'models' if args.models else 'words only'}): "
              + ", ".join(f"{k} {v}" for k, v in stop.items()))
        print("goals: first_count_s, click_to_paused_s, click_to_cancelled_s <= 2 s; first_words_result_s <= 10 s; "
              "max_gap_ms <= 50 ms")


if __name__ == "__main__":
    main()
