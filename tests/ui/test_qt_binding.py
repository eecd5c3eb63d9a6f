"""The Qt binding survives a long session (PySide6 6.12.0 on Python 3.11 drops references to None/True)."""

from __future__ import annotations

from app.ui.qt import QObject, QTimer, Signal


class _Emitter(QObject):
    fired = Signal(object)


def test_many_slot_calls_and_emits_do_not_crash(qtbot):
    # More calls than None/True have references at start-up (~6,000): without the guard in app.ui.qt,
    # CPython aborts with "deallocating None" long before the end.
    calls = []
    timer = QTimer()
    timer.setInterval(0)
    timer.timeout.connect(lambda: calls.append(1))
    emitter = _Emitter()
    emitter.fired.connect(lambda v: None)
    for i in range(20_000):
        emitter.fired.emit(i)
    timer.start()
    qtbot.waitUntil(lambda: len(calls) >= 20_000, timeout=120_000)
    timer.stop()
