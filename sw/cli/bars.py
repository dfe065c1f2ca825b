"""Draw :class:`~sc_neurocore.progress.ProgressEvent` streams: tqdm bars on a terminal, plain lines elsewhere.

The library reports long work as events (``stage``, ``done`` of ``total``, ``note``); this is
the command line's one renderer::

    with Bars("verify") as bars:
        verify_chain(qnet, x, progress=bars)

On a terminal each stage is a tqdm bar on stderr (a spinner with the elapsed time when
``total`` is ``None``, refreshed every half second even while the library is busy inside one
step).  Anywhere else (a pipe, CI, pytest's capture) each stage prints one line when it starts,
its note at most every ``note_every`` seconds, and one line with the elapsed time when it ends,
all prefixed ``sc-neurocore <command>:``.  Plain strings (older callers) are printed as lines.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time

from ..progress import ProgressEvent

__all__ = ["Bars"]


class Bars:
    """A progress callable: ``bars(ProgressEvent(...))``; use as a context manager to close open stages."""

    def __init__(self, command: str, *, file=None, tty: bool | None = None, note_every: float = 10.0,
                 enabled: bool = True):
        self.command = command
        self.file = file if file is not None else sys.stderr
        if tty is None:
            isatty = getattr(self.file, "isatty", None)
            tty = bool(isatty and isatty())
        self.enabled = enabled
        self.tqdm = None
        if tty and enabled:
            try:
                from tqdm import tqdm

                self.tqdm = tqdm
            except ImportError:  # tqdm comes with the training extra; plain lines without it
                self.tqdm = None
        self.note_every = note_every
        self._stages: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()

    # -------------------------------------------------------------------------------- events
    def __call__(self, event) -> None:
        if not self.enabled:
            return
        if isinstance(event, str):
            self._line(event)
            return
        if not isinstance(event, ProgressEvent):
            raise TypeError(f"progress events must be ProgressEvent, not {event!r}")
        with self._lock:
            st = self._stages.get(event.stage)
            if st is not None and st["closed"] and event.finished:
                return  # a repeated end of a stage already closed
            if st is None or st["closed"]:
                st = self._open(event)
            self._update(st, event)
            if event.finished:
                self._close(st, event)

    def _open(self, event: ProgressEvent) -> dict:
        st = {"start": time.perf_counter(), "closed": False, "note": "", "note_t": 0.0, "bar": None,
              "total": event.total}
        if self.tqdm is not None:
            st["bar"] = self.tqdm(total=event.total, desc=event.stage, file=self.file, leave=True,
                                  dynamic_ncols=True, unit="" if event.total is None else " ")
            self._start_ticker()
        else:
            total = f" ({event.total:,})" if event.total else ""
            self._line(f"{event.stage}{total} ...")
            st["note_t"] = st["start"]
        self._stages[event.stage] = st
        return st

    def _update(self, st: dict, event: ProgressEvent) -> None:
        bar = st["bar"]
        if bar is not None:
            if event.total is not None and bar.total != event.total:
                bar.total = event.total
            if event.done != bar.n:
                bar.n = event.done
            if event.note:
                bar.set_postfix_str(event.note, refresh=False)
            bar.refresh()
            return
        if event.note and event.note != st["note"]:
            now = time.perf_counter()
            if now - st["note_t"] >= self.note_every and not event.finished:
                progress = f" {event.done:,}/{event.total:,}" if event.total else ""
                self._line(f"{event.stage}{progress}: {event.note} ({now - st['start']:.0f} s)")
                st["note_t"] = now
        if event.note:
            st["note"] = event.note

    def _close(self, st: dict, event: ProgressEvent) -> None:
        st["closed"] = True
        elapsed = time.perf_counter() - st["start"]
        if st["bar"] is not None:
            st["bar"].close()
        else:
            note = f": {event.note}" if event.note else ""
            self._line(f"{event.stage} done in {elapsed:.1f} s{note}")

    @contextlib.contextmanager
    def step(self, stage: str, note: str = ""):
        """A stage around one blocking call: a spinner with the elapsed time, closed when the block ends."""
        self(ProgressEvent(stage, 0, None, note))
        yield
        self(ProgressEvent(stage, 1, 1, note))

    # -------------------------------------------------------------------------------- output
    def _line(self, text: str) -> None:
        line = f"sc-neurocore {self.command}: {text}"
        if self.tqdm is not None:
            self.tqdm.write(line, file=self.file)
        else:
            print(line, file=self.file, flush=True)

    def write(self, text: str) -> None:
        """Print a line without breaking the bars (for results printed while bars are open)."""
        if self.tqdm is not None:
            self.tqdm.write(text, file=self.file)
        else:
            print(text, file=self.file, flush=True)

    def _start_ticker(self) -> None:
        if self._ticker is not None:
            return

        def tick():
            while not self._stop.wait(0.5):
                with self._lock:
                    for st in self._stages.values():
                        if not st["closed"] and st["bar"] is not None:
                            st["bar"].refresh()

        self._ticker = threading.Thread(target=tick, name="sc-neurocore-bars", daemon=True)
        self._ticker.start()

    def close(self) -> None:
        """Close every open stage (an interrupted run leaves no half-drawn bar)."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
            self._ticker = None
        with self._lock:
            for st in self._stages.values():
                if not st["closed"]:
                    st["closed"] = True
                    if st["bar"] is not None:
                        st["bar"].close()

    def __enter__(self) -> Bars:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
