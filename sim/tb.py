"""Helpers shared by the cocotb testbenches (they run inside the simulator process).

The design's clock comes from the wrapper ``sc_tb`` (see :mod:`sc_neurocore.sim.runner`); a
testbench only waits on it.  Inputs are written just after a rising edge, so the design
samples them at the next one.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np

__all__ = ["reset", "write_report", "read_report_env", "sim_cycles", "to_int", "unpack", "Stopwatch"]


async def reset(dut, cycles: int = 2) -> None:
    """Hold ``rst`` high for ``cycles`` rising edges; return at a falling edge with ``rst`` low.

    Drivers write at falling edges, so the next rising edge is the first one out of reset.
    """
    from cocotb.triggers import ClockCycles, FallingEdge

    await FallingEdge(dut.clk)
    dut.rst.value = 1
    await ClockCycles(dut.clk, cycles, rising=False)
    dut.rst.value = 0


def sim_cycles() -> int:
    """Clock cycles since time 0 (from the simulator's time, 10 ns per cycle)."""
    from cocotb.utils import get_sim_time

    from .runner import CLOCK_PERIOD_NS

    return int(get_sim_time("ns") // CLOCK_PERIOD_NS)


def to_int(handle, signed: bool = False) -> int:
    """Integer value of a signal (two's complement when ``signed``)."""
    v = handle.value
    if not hasattr(v, "to_unsigned"):  # a 1-bit signal reads as a Logic
        return int(v)
    return v.to_signed() if signed else v.to_unsigned()


def unpack(value: int, count: int, width: int, signed: bool = False) -> np.ndarray:
    """Split a packed integer into ``count`` fields of ``width`` bits, field 0 in the low bits."""
    mask = (1 << width) - 1
    out = np.empty(count, dtype=np.int64)
    for i in range(count):
        f = (value >> (i * width)) & mask
        if signed and f >> (width - 1):
            f -= 1 << width
        out[i] = f
    return out


def write_report(report: dict) -> None:
    """Write the testbench's JSON report where the runner looks for it (``$SC_SIM_REPORT``)."""
    path = os.environ.get("SC_SIM_REPORT")
    if not path:
        return
    existing = {}
    if os.path.exists(path):
        with open(path) as fh:
            existing = json.load(fh)
    existing.update(report)
    with open(path, "w") as fh:
        json.dump(existing, fh, indent=1, default=_jsonable)


def read_report_env(name: str, default: str | None = None) -> str:
    """An ``SC_*`` setting passed by the runner through the environment; a clear error if missing."""
    v = os.environ.get(name, default)
    if v is None:
        raise RuntimeError(f"testbench needs ${name} (set by sc_neurocore.sim.runner.Design.run(extra_env=...))")
    return v


def _jsonable(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


class Stopwatch:
    """Wall time of a block, for cycles-per-second figures."""

    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        return False
