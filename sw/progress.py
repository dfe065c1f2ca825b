"""Progress of long work, reported by the library and drawn by the command line.

Library functions that can run for more than a couple of seconds take ``progress=None`` or a
callable that receives :class:`ProgressEvent` objects; they never print bars themselves.  The
command line turns the events into tqdm bars (one per ``stage``).  ``total=None`` means the
amount of work is not known (a spinner); ``note`` is a short status shown beside the bar
(``"0 mismatches"``, ``"routing: 1,203 overused wires"``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Progress", "ProgressEvent", "emit"]


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a long task: ``done`` of ``total`` units of ``stage`` (``done == total``: finished)."""

    stage: str
    done: int = 0
    total: int | None = None
    note: str = ""

    @property
    def finished(self) -> bool:
        return self.total is not None and self.done >= self.total


Progress = Callable[[ProgressEvent], None]


def emit(progress: Progress | None, stage: str, done: int = 0, total: int | None = None, note: str = "") -> None:
    """Send one event to ``progress`` (nothing when it is ``None``)."""
    if progress is not None:
        progress(ProgressEvent(stage, int(done), None if total is None else int(total), note))
