"""ONNX Runtime, imported in one place, with its telemetry turned off before it can start.

Why: ONNX Runtime 1.31 ships Microsoft's 1DS telemetry (``OneDsTelemetry``). It starts when the native
module is loaded, and a few seconds later resolves ``mobile.events.data.microsoft.com`` from its own
thread. ``onnxruntime.disable_telemetry_events()`` alone does not stop that (measured with strace: the
lookups still happen); the ``ORT_DISABLE_TELEMETRY`` environment variable, read when the native module
loads, does. Lexiscope promises no network call except a model download the user asked for, so the
variable is set when the ``models`` package is imported (before anything can import ONNX Runtime), and
every use of ONNX Runtime goes through :func:`onnxruntime` (``tests/unit/test_architecture.py`` checks
that no other module imports it directly; ``tests/integration/test_no_network.py`` that no socket opens).
"""

from __future__ import annotations

import os
from types import ModuleType

_module: ModuleType | None = None


def telemetry_off() -> None:
    """Set the switch ONNX Runtime reads when its native module loads (forced: not a user preference)."""
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"


def onnxruntime() -> ModuleType:
    """The ``onnxruntime`` module, with telemetry disabled (idempotent, cheap after the first call)."""
    global _module
    if _module is None:
        telemetry_off()
        import onnxruntime as ort

        ort.disable_telemetry_events()  # the documented switch, for events a later build might emit
        _module = ort
    return _module


telemetry_off()
