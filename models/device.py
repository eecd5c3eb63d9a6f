"""Pick the compute device and a thread count that leaves a desktop responsive."""

from __future__ import annotations

from contextlib import contextmanager
import glob
import importlib.util
import os
import platform
import sys

_configured = False
# Threads a forward pass may use now: set by configure_threads, lowered inside query_threads. Read by
# encoders whose runtime is not torch's (ONNX Runtime sessions are made per thread count).
_threads: int | None = None
# The most threads any later configure_threads may set in this process: a pass-2 worker's 1. Without it the
# model loader's own configure_threads() raised each worker back to every core (two workers, four encoder
# threads on two cores; bench/README "tenth session").
_cap: int | None = None


def _torch_loaded():
    """The torch module when something in this process already imported it, else None.

    Why: the default CPU path runs on ONNX Runtime and must not pay torch's import (seconds, and
    hundreds of MB) just to set a thread count; torch settings follow only when torch is in use.
    """
    return sys.modules.get("torch")


def might_have_accelerator() -> bool:
    """Whether a GPU could be used without importing torch to ask: torch installed and an NVIDIA
    device node present, or torch on Apple silicon (MPS)."""
    if importlib.util.find_spec("torch") is None:
        return False
    if sys.platform == "darwin":
        return platform.machine() == "arm64"
    return bool(glob.glob("/dev/nvidia[0-9]*")) or sys.platform == "win32"


def pick_device(pref: str = "auto") -> str:
    """"cuda", "mps" or "cpu": ``pref`` when it is available, else the best available for "auto".

    torch is imported only when a GPU could be there (:func:`might_have_accelerator`) or was asked for;
    a CPU-only install (no torch) always gets "cpu".
    """
    pref = (pref or "auto").lower()
    if pref not in ("auto", "cuda", "mps", "cpu"):
        raise ValueError(f"unknown device {pref!r}; use auto, cuda, mps or cpu")
    if pref == "cpu" or not might_have_accelerator() and pref == "auto" or importlib.util.find_spec("torch") is None:
        return "cpu"
    import torch

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
    """Set the encoders' threads (ONNX Runtime sessions; torch's too once torch is in use) to the physical
    cores, minus one on machines with more than 4.

    Why: beyond the physical core count, threads contend and slow down; on larger machines one core
    is kept for the GUI and the readers. On 2-4 cores all are used, since encoding is the bottleneck
    and the GUI thread mostly sleeps. ``LEXISCOPE_THREADS`` overrides. ``max_threads`` caps this call and
    every later one in the process (loading a model configures threads again). Returns the count set.
    """
    global _threads, _cap
    if max_threads:
        _cap = max_threads if _cap is None else min(_cap, max_threads)
    env = os.environ.get("LEXISCOPE_THREADS")
    if env and env.isdigit() and int(env) > 0:
        n = int(env)
    else:
        cores = physical_cores()
        n = cores - 1 if cores > 4 else cores
    if _cap:
        n = min(n, _cap)
    n = max(1, n)
    _threads = n
    torch = _torch_loaded()
    if torch is None:
        return n
    use_torch()
    return n


def use_torch():
    """Import torch for a torch-backed encoder and give it the configured thread count; returns torch.

    Raises ModuleNotFoundError with the install command when torch is not installed (the default install).
    """
    global _configured
    try:
        import torch
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError("this model needs PyTorch, which the default install leaves out: "
                                  "pip install 'lexiscope[torch]'", name="torch") from exc
    if _threads is not None:
        torch.set_num_threads(_threads)
    if not _configured:
        try:  # inter-op threads can only be set once per process, before any parallel work
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
        _configured = True
    return torch


def quiet_transformers() -> None:
    """Silence transformers' per-model "Loading weights" bar and info logs (our progress replaces them)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


@contextmanager
def query_threads(n: int = 1):
    """Run a small, latency-bound forward pass (one query) on ``n`` torch threads, then restore.

    Measured here (2 cores, MiniLM, one query): 8 ms p50 on 1 thread either way, but with any other
    load on the machine 2 threads spin at OpenMP barriers waiting for a descheduled thread and a
    query takes ~500 ms. A short query gains nothing from a second thread, so search uses one.
    """
    global _threads
    torch = _torch_loaded()
    before, before_ours = (torch.get_num_threads() if torch else None), _threads
    if torch:
        torch.set_num_threads(n)
    _threads = n
    try:
        yield
    finally:
        if torch:
            torch.set_num_threads(before)
        _threads = before_ours


def current_threads() -> int:
    """Threads a forward pass should use now (all configured ones, or one inside ``query_threads``)."""
    if _threads is None:  # never configured (a library caller): torch's setting, else the physical cores
        torch = _torch_loaded()
        return torch.get_num_threads() if torch else physical_cores()
    return _threads
