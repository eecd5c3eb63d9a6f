"""Pick the compute device and a thread count that leaves a desktop responsive."""

from __future__ import annotations

from contextlib import contextmanager
import os

_configured = False
# Threads a forward pass may use now: set by configure_threads, lowered inside query_threads. Read by
# encoders whose runtime is not torch's (ONNX Runtime sessions are made per thread count).
_threads: int | None = None


def pick_device(pref: str = "auto") -> str:
    """"cuda", "mps" or "cpu": ``pref`` when it is available, else the best available for "auto"."""
    import torch

    pref = (pref or "auto").lower()
    if pref not in ("auto", "cuda", "mps", "cpu"):
        raise ValueError(f"unknown device {pref!r}; use auto, cuda, mps or cpu")
    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if pref == "cuda" and cuda or pref == "auto" and cuda:
        return "cuda"
    if pref == "mps" and mps or pref == "auto" and mps:
        return "mps"
    return "cpu"


def physical_cores() -> int:
    """Physical cores of this process's CPU set (hyper-threads do not help dense matmul)."""
    try:
        logical = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        logical = os.cpu_count() or 1
    try:  # Linux: count distinct (package, core) pairs among the CPUs we may use
        cores = set()
        for cpu in (os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(logical)):
            base = f"/sys/devices/system/cpu/cpu{cpu}/topology/"
            with open(base + "core_id") as a, open(base + "physical_package_id") as b:
                cores.add((a.read().strip(), b.read().strip()))
        if cores:
            return len(cores)
    except OSError:
        pass
    return max(1, logical // 2) if logical > 2 else logical


def configure_threads(max_threads: int | None = None) -> int:
    """Set torch's intra-op threads to the physical cores, minus one on machines with more than 4.

    Why: beyond the physical core count, threads contend and slow down; on larger machines one core
    is kept for the GUI and the readers. On 2-4 cores all are used, since encoding is the bottleneck
    and the GUI thread mostly sleeps. ``LEXISCOPE_THREADS`` overrides. Returns the count set.
    """
    global _configured, _threads
    import torch

    env = os.environ.get("LEXISCOPE_THREADS")
    if env and env.isdigit() and int(env) > 0:
        n = int(env)
    else:
        cores = physical_cores()
        n = cores - 1 if cores > 4 else cores
    if max_threads:
        n = min(n, max_threads)
    n = max(1, n)
    torch.set_num_threads(n)
    _threads = n
    if not _configured:
        try:  # inter-op threads can only be set once per process, before any parallel work
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
        _configured = True
    return n


@contextmanager
def query_threads(n: int = 1):
    """Run a small, latency-bound forward pass (one query) on ``n`` torch threads, then restore.

    Measured here (2 cores, MiniLM, one query): 8 ms p50 on 1 thread either way, but with any other
    load on the machine 2 threads spin at OpenMP barriers waiting for a descheduled thread and a
    query takes ~500 ms. A short query gains nothing from a second thread, so search uses one.
    """
    global _threads
    import torch

    before, before_ours = torch.get_num_threads(), _threads
    torch.set_num_threads(n)
    _threads = n
    try:
        yield
    finally:
        torch.set_num_threads(before)
        _threads = before_ours


def current_threads() -> int:
    """Threads a forward pass should use now (all configured ones, or one inside ``query_threads``)."""
    if _threads is None:  # never configured (a library caller): follow torch's setting
        import torch

        return torch.get_num_threads()
    return _threads
