"""Helpers shared by the cocotb testbenches (they run inside the simulator process).

The design's clock comes from the simulator side (the wrapper ``sc_tb``, see
:mod:`sc_neurocore.sim.runner`); a testbench only waits on it.  Drivers write inputs at
falling edges, so the design samples them at the next rising edge.
"""

from __future__ import annotations

import json
import os

import numpy as np

__all__ = ["reset", "write_report", "sim_cycles"]


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
    """Clock cycles since time 0 (from the simulator's time, 10 ns per cycle).

    At a falling edge this is the number of the next rising edge (the first rising edge, at
    5 ns, is number 0).
    """
    from cocotb.utils import get_sim_time

    from .verilog import CLOCK_PERIOD_NS

    return int(get_sim_time("ns") // CLOCK_PERIOD_NS)


def write_report(report: dict) -> None:
    """Merge ``report`` into the testbench's JSON report (``$SC_SIM_REPORT``; the runner reads it back)."""
    path = os.environ.get("SC_SIM_REPORT")
    if not path:
        return
    existing = {}
    if os.path.exists(path):
        with open(path) as fh:
            existing = json.load(fh)
    existing.update(report)
    from ..fileio import atomic_write_text

    atomic_write_text(path, json.dumps(existing, indent=1, default=_jsonable))


def _jsonable(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)
