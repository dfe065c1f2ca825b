"""Helpers shared by the cocotb testbenches (they run inside the simulator process).

The design's clock comes from the simulator side (the wrapper ``sc_tb``, see
:mod:`sc_neurocore.sim.runner`); a testbench only waits on it.  Drivers write inputs at
falling edges, so the design samples them at the next rising edge.
"""

from __future__ import annotations

import json
import os

import numpy as np

__all__ = ["reset", "write_report", "sim_cycles", "decode"]


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

    from .runner import CLOCK_PERIOD_NS

    return int(get_sim_time("ns") // CLOCK_PERIOD_NS)


def decode(words, shape):
    """Unpack integers (Verilog payload buses, bit 0 = the word's lowest bit) by an Amaranth shape.

    The one decoder of the testbenches (NumPy, vectorised over the words):

    * ``data.StructLayout``: ``{field: decode(words, field_shape)}``;
    * ``data.ArrayLayout`` of scalar elements: an ``(n_words, length)`` int64 array;
    * a scalar shape (``unsigned(w)``, ``signed(w)``, an int width): an ``(n_words,)`` int64 array,
      two's complement for signed shapes.

    Fields may be up to 63 bits wide; words may be any width.
    """
    from amaranth.lib import data

    seq = [int(w) for w in np.asarray(words, dtype=object).reshape(-1)]
    total = data.Layout.cast(shape).size if isinstance(shape, data.Layout) else _scalar(shape)[0]
    arr = np.array(seq, dtype=np.uint64) if total <= 64 else np.array(seq, dtype=object)
    return _decode(arr, 0, shape)


def _scalar(shape) -> tuple[int, bool]:
    from amaranth.hdl import Shape

    s = Shape.cast(shape)
    return s.width, s.signed


def _decode(arr: np.ndarray, offset: int, shape):
    from amaranth.lib import data

    if isinstance(shape, data.StructLayout):
        return {name: _decode(arr, offset + fld.offset, fld.shape) for name, fld in shape}
    if isinstance(shape, data.ArrayLayout):
        elem = shape.elem_shape
        if isinstance(elem, data.Layout):
            raise TypeError(f"decode: arrays of layouts are not supported ({shape!r})")
        width = _scalar(elem)[0]
        cols = [_decode(arr, offset + j * width, elem) for j in range(shape.length)]
        return np.stack(cols, axis=-1) if cols else np.zeros((len(arr), 0), np.int64)
    width, signed = _scalar(shape)
    if width > 63:
        raise ValueError(f"decode: a {width}-bit field does not fit an int64")
    if arr.dtype == object:
        vals = ((arr >> offset) & ((1 << width) - 1)).astype(np.int64)
    else:
        vals = ((arr >> np.uint64(offset)) & np.uint64((1 << width) - 1)).astype(np.int64)
    if signed and width:
        vals = np.where(vals >= (1 << (width - 1)), vals - (1 << width), vals)
    return vals


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
    with open(path, "w") as fh:
        json.dump(existing, fh, indent=1, default=_jsonable)


def _jsonable(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)
