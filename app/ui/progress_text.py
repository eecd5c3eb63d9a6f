"""Progress as words: count, rate and time left for an indexing run (no Qt, so it is easy to test)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@dataclass
class RateMeter:
    """Turns successive Progress values into "120 / 300 files · 14 files/s · about 13 s left"."""

    started: float = field(default_factory=time.monotonic)
    first_done: int | None = None
    first_time: float = 0.0
    phase: str = ""

    def describe(self, progress, now: float | None = None) -> str:
        """A one-line description of ``progress`` (an app.pipeline.Progress)."""
        now = time.monotonic() if now is None else now
        if progress.phase == "scanning":
            return f"Looking for files… {progress.done} found" if progress.done else "Looking for files…"
        if progress.phase == "finishing":
            return "Finishing: updating the search index…"
        if progress.phase == "done":
            return f"Done: {progress.indexed} indexed, {progress.skipped} skipped, {progress.failed} failed"
        if progress.phase == "loading":
            return "Searchable by words; loading the models to add meaning…"
        if progress.phase != self.phase:
            # Pass 1 counts files, pass 2 (phase "meaning") passages: each gets its own rate.
            self.phase, self.first_done = progress.phase, None
        unit = getattr(progress, "unit", "files")
        if not progress.total:
            return "Nothing new to index" if progress.phase != "meaning" else "Every passage has its meaning"
        text = f"{progress.done} / {progress.total} {unit}"
        if progress.phase == "meaning":
            text = "Adding meaning: " + text
        if self.first_done is None:
            # Rate from the first batch on: the scan and model load before it would skew it.
            self.first_done, self.first_time = progress.done, now
            return text
        elapsed = now - self.first_time
        if elapsed > 0.2 and progress.done > self.first_done:
            rate = (progress.done - self.first_done) / elapsed
            left = (progress.total - progress.done) / rate
            text += f" · {rate:.1f} {unit}/s · about {_duration(left)} left"
        return text
