"""ConstantComparator against Python's ``<``, exhaustively for small widths."""

from __future__ import annotations

import pytest
from amaranth.sim import Simulator
from sc_neurocore.hw.thermometer import ConstantComparator


@pytest.mark.parametrize("k", [1, 3, 8])
def test_every_constant_against_every_code(k):
    constants = list(range(1 << k))[::-1] + [0, 1 % (1 << k)]  # out of order, with duplicates
    cmp = ConstantComparator(k, constants)
    assert cmp.constants == tuple(range(1 << k))  # one output per distinct constant, ascending
    ports = {name for name in cmp.signature.members if name.startswith("less_")}
    assert ports == {f"less_{v}" for v in range(1 << k)}  # a 1-bit port per constant
    assert all(len(cmp.less_than(v)) == 1 for v in range(1 << k))
    got = []

    async def bench(ctx):
        for code in range(1 << k):
            ctx.set(cmp.operand, code)
            got.append([ctx.get(cmp.less_than(v)) for v in range(1 << k)])

    sim = Simulator(cmp)
    sim.add_testbench(bench)
    sim.run()
    assert got == [[int(v < code) for v in range(1 << k)] for code in range(1 << k)]


def test_a_few_constants_of_a_wide_code():
    values = [0, 5, 200, 255]
    cmp = ConstantComparator(8, values)
    got = {}

    async def bench(ctx):
        for code in (0, 1, 5, 6, 200, 201, 255):
            ctx.set(cmp.operand, code)
            got[code] = [ctx.get(cmp.less_than(v)) for v in values]

    sim = Simulator(cmp)
    sim.add_testbench(bench)
    sim.run()
    assert got == {code: [int(v < code) for v in values] for code in got}
    with pytest.raises(ValueError, match="7 is not one of"):
        cmp.less_than(7)


@pytest.mark.parametrize("args,exc,text", [
    ((0, [1]), ValueError, "k must be"),
    ((4, [16]), ValueError, r"\[0, 15\]"),
    ((4, [-1]), ValueError, "-1"),
    ((4, []), ValueError, "empty"),
    ((4, [1.5]), TypeError, "1.5"),
])
def test_bad_arguments_raise(args, exc, text):
    with pytest.raises(exc, match=text):
        ConstantComparator(*args)
