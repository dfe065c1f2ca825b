"""Follow the FPGA tools' own logs while a build runs: stages, router progress, warnings.

Amaranth's build script runs Yosys (``-l top.rpt``), nextpnr (``--log top.tim``) and the packer
(``icepack`` / ``ecppack``).  Both logs are written as the tools go, so :class:`ToolLogWatcher`
reads their new lines every few hundred milliseconds and turns them into
:class:`~sc_neurocore.progress.ProgressEvent` stages:

* ``synthesis`` -- note: the Yosys pass running (``PROC``, ``ABC``, ...);
* ``place`` -- note: packing, analytic placement, annealing;
* ``route`` -- note: router1's arcs still to route, or router2's overused wires per iteration
  (``iter=3 wires=51234 overused=1203``), the number that says whether routing converges;
* ``timing analysis`` -- nextpnr's final timing report;
* ``bitstream`` -- the packer.

:func:`classify_warnings` separates the tools' warnings into known harmless ones (explained in
``docs/boards.md``, section "Tool warnings") and the rest.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from ..progress import emit

__all__ = ["ToolLogWatcher", "KNOWN_WARNINGS", "classify_warnings", "parse_router_line"]

#: Warnings that every build of these tops prints and that change nothing, with why (docs/boards.md).
KNOWN_WARNINGS = [
    (re.compile(r"net '[^']*\bclk' does not exist in design, ignoring clock constraint"),
     "Amaranth names the PLL's output clock after one of the submodules that use it; Yosys keeps another "
     "name for that net, so nextpnr skips this line -- and derives the same frequency from the PLL settings "
     "(the log's 'Derived frequency constraint of 24.0 MHz for net clk' shows it)"),
]

_YOSYS_PASS = re.compile(r"^\d+\.\d+\. Executing (\S+) pass")
_ROUTER1_ROW = re.compile(r"^Info:\s+(\d+)\s+\|\s+\d+\s+\d+\s+\|\s+-?\d+\s+-?\d+\s+\|\s+(\d+)\s*\|")
_ROUTER2_ROW = re.compile(r"iter=(\d+)\s+(?:wires|nodes)=(\d+)\s+overused=(\d+)\s+overuse=(\d+)")
_PLACE_NOTES = (
    ("Info: Packing", "packing"),
    ("Creating initial analytic placement", "analytic placement"),
    ("Running main analytical placer", "analytic placement"),
    ("simulated annealing placer", "annealing"),
    ("Running placer", "placement"),
)
_ROUTE_START = ("Info: Routing..", "Running router2", "Routing globals")
_ROUTE_END = ("Routing complete", "Router1 time", "Router2 time")


def parse_router_line(line: str) -> str | None:
    """The progress note for one nextpnr router line, else ``None``.

    router2: ``iter=3 wires=51234 overused=1203 overuse=1502 ...`` -> ``"iteration 3: 1,203 overused wires"``;
    router1's table row ``Info:   2000 |  131  1778 |  114  796 |  2186| ...`` -> ``"2,186 arcs left"``.
    """
    m = _ROUTER2_ROW.search(line)
    if m:
        return f"iteration {int(m.group(1))}: {int(m.group(3)):,} overused wires"
    m = _ROUTER1_ROW.match(line)
    if m:
        return f"{int(m.group(2)):,} arcs left"
    return None


def classify_warnings(lines) -> tuple[list[str], list[str]]:
    """``(known harmless, other)`` among the ``Warning:`` lines of a tool log."""
    known, other = [], []
    for line in lines:
        text = line.strip()
        if not text.startswith("Warning:"):
            continue
        (known if any(rx.search(text) for rx, _ in KNOWN_WARNINGS) else other).append(text)
    return known, other


class _Tail:
    """New complete lines of a file that grows."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0
        self.partial = ""

    def lines(self) -> list[str]:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except FileNotFoundError:
            return []
        self.offset += len(data)
        text = self.partial + data.decode("utf-8", errors="replace")
        *done, self.partial = text.split("\n")
        return done

    @property
    def exists(self) -> bool:
        return self.path.exists()


class ToolLogWatcher:
    """Turn the logs in ``build_dir`` (``NAME.rpt``, ``NAME.tim``) into progress events; call :meth:`poll` often."""

    STAGES = ("synthesis", "place", "route", "timing analysis", "bitstream")

    def __init__(self, build_dir, name: str = "top", progress=None):
        self.progress = progress
        self.yosys = _Tail(Path(build_dir) / f"{name}.rpt")
        self.nextpnr = _Tail(Path(build_dir) / f"{name}.tim")
        self.stage: str | None = None
        #: ``time.monotonic()`` when the current stage began (the routing budget counts from it)
        self.stage_started = time.monotonic()
        self.count = 0
        self.note = ""
        self.notes: dict[str, str] = {}

    def _enter(self, stage: str, note: str = "") -> None:
        if self.stage == stage:
            return
        if self.stage is not None:
            self._finish_stage()
        self.stage, self.count, self.note = stage, 0, note
        self.stage_started = time.monotonic()
        emit(self.progress, stage, 0, None, note)

    def _finish_stage(self) -> None:
        self.notes[self.stage] = self.note
        # the router's last word ("0 arcs left", "0 overused wires") is the result; other notes were the way there
        emit(self.progress, self.stage, 1, 1, self.note if self.stage == "route" else "")

    def _set(self, note: str) -> None:
        self.count += 1
        self.note = note
        emit(self.progress, self.stage, self.count, None, note)

    def poll(self) -> None:
        """Read what the tools wrote since the last call."""
        if self.stage is None:
            self._enter("synthesis")
        for line in self.yosys.lines():
            m = _YOSYS_PASS.match(line)
            if m and self.stage == "synthesis":
                self._set(m.group(1))
        if not self.nextpnr.exists:
            return
        if self.stage == "synthesis":
            self._enter("place", "packing")
        for line in self.nextpnr.lines():
            if self.stage == "place":
                if any(key in line for key in _ROUTE_START):
                    self._enter("route")
                    continue
                for key, note in _PLACE_NOTES:
                    if key in line and note != self.note:
                        self._set(note)
            elif self.stage == "route":
                note = parse_router_line(line)
                if note:
                    self._set(note)
                elif any(key in line for key in _ROUTE_END):
                    self._enter("timing analysis")
            if "Program finished normally" in line:
                self._enter("bitstream")

    def seconds_in(self, stage: str) -> float:
        """Seconds spent so far in ``stage`` if it is the current one, else 0."""
        return time.monotonic() - self.stage_started if self.stage == stage else 0.0

    def finish(self) -> None:
        """The script ended: read the rest and close the last stage."""
        self.poll()
        if self.stage is not None:
            self._finish_stage()
            self.stage = None
