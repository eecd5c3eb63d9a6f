"""The Sources dock's run buttons show only while they can act (a finished run leaves none)."""

from __future__ import annotations

from app.ui.index_controller import IDLE, PAUSED, RUNNING, STOPPING
from app.ui.sources_dock import SourcesDock


def test_run_buttons_follow_the_run_state(qtbot):
    dock = SourcesDock()
    qtbot.addWidget(dock)
    dock.show()

    def shown() -> set[str]:
        return {name for name in ("pause", "resume", "cancel") if getattr(dock, name).isVisibleTo(dock)}

    assert shown() == set()  # no run yet
    dock.set_state(RUNNING)
    assert shown() == {"pause", "cancel"} and dock.pause.isEnabled() and dock.cancel.isEnabled()
    dock.set_state(STOPPING)  # a pause on its way: Cancel may still overrule it
    assert shown() == {"pause", "cancel"} and not dock.pause.isEnabled() and dock.cancel.isEnabled()
    dock.set_state(PAUSED)
    assert shown() == {"resume", "cancel"} and dock.cancel.isEnabled()
    dock.set_state(IDLE)  # finished, cancelled or failed
    assert shown() == set() and not dock.bar.isVisibleTo(dock)
    dock.set_state(RUNNING)  # the next run brings them back
    assert shown() == {"pause", "cancel"}
