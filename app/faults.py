"""Fault injection at the index's write boundaries, for the crash tests (issue 13).

``LEXISCOPE_FAULT=<boundary>`` makes the process kill itself (SIGKILL, as ``kill -9`` would) the first time
it reaches that boundary; ``LEXISCOPE_FAULT=<boundary>:int`` raises KeyboardInterrupt there instead (Ctrl-C);
``LEXISCOPE_FAULT=<boundary>:hang`` stops there for good (a batch that never reaches its commit, as a slow model
on a busy laptop does for seconds), for the tests of stopping a run that does not answer.
Unset (always, outside tests), :func:`fault` is one dictionary lookup. Every boundary is listed here, so a
test can walk them all and a new write step cannot be forgotten.
"""

from __future__ import annotations

import os
import signal
import time

# Pass 1 (app.pipeline / app.store.write_batch), in the order a run meets them.
PASS1 = (
    "sweep",               # after the orphan sweep at the start of a run
    "batch-deleted",       # a batch's old passages deleted, new ones not yet added
    "batch-passages",      # a batch's passages added, its documents not yet written
    "batch-documents",     # a batch fully written (passages and documents)
    "vanished-passages",   # vanished files' passages deleted, their documents not yet
    "finish",              # before the full-text index rebuild and compaction
)
# Pass 2 (app.enrich) and the model-change table swap (app.store.recreate_passages).
PASS2 = (
    "swap-written",        # the new passages table is complete, not yet swapped in
    "swap-moved",          # the old table moved aside, the new one not yet in place
    "enrich-documents",    # a pass-2 batch's document metadata written, its passages not yet
    "enrich-passages",     # a pass-2 batch fully written
)
BOUNDARIES = PASS1 + PASS2

_SPEC = os.environ.get("LEXISCOPE_FAULT", "")


def fault(boundary: str) -> None:
    """Die here if the environment asks for it (see the module doc); otherwise do nothing."""
    if not _SPEC:
        return
    name, _, how = _SPEC.partition(":")
    if name != boundary:
        return
    # Said before dying, so a test can check the process died here and not somewhere else.
    os.write(2, f"lexiscope fault: {boundary}\n".encode())
    if how == "int":
        raise KeyboardInterrupt(f"fault injected at {boundary}")
    while how == "hang":
        time.sleep(3600)
    os.kill(os.getpid(), signal.SIGKILL)


__all__ = ["BOUNDARIES", "PASS1", "PASS2", "fault"]
