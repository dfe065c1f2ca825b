"""ConstantComparator against Python's ``<``, exhaustively for small widths."""

from __future__ import annotations

import pytest
from amaranth.hdl import Module, Signal
from amaranth.sim import Simulator
from sc_neurocore.hw.thermometer import ConstantComparator


@pytest.mark.parametrize("k", [1, 3, 8])
def test_every_constant_against_every_code(k):
    m = Module()
    x = Signal(k)
    cmp = ConstantComparator(m, x, k, "t")
    outs = [cmp.less_than(v) for v in range(1 << k)]
    assert len(cmp) == 1 << k and cmp.less_than(0) is outs[0]  # one signal per constant
    got = []

    async def bench(ctx):
        for code in range(1 << k):
            ctx.set(x, code)
            got.append([ctx.get(o) for o in outs])

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert got == [[int(v < code) for v in range(1 << k)] for code in range(1 << k)]


def test_checks():
    m = Module()
    with pytest.raises(TypeError, match="Module"):
        ConstantComparator("m", Signal(4), 4, "t")
    with pytest.raises(ValueError, match="k must be"):
        ConstantComparator(m, Signal(4), 0, "t")
    with pytest.raises(ValueError, match=r"\[0, 15\]"):
        ConstantComparator(m, Signal(4), 4, "t").less_than(16)
    m._MustUse__silence = True  # built only to check the arguments
