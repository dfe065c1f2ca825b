"""ActiveLists: appends from both writers land in their region, in order, readable a clock later; clear empties."""

from __future__ import annotations

from amaranth.sim import Simulator
from sc_neurocore.hw.active_list import ActiveLists
from sc_neurocore.hw.plan import EngineSpec
from sc_neurocore.sc.contract import SCConfig

from .reference import random_qnet


def test_two_regions_append_read_clear():
    qnet = random_qnet([6, 5, 3], SCConfig(length=4), seed=1)
    spec = EngineSpec.of(qnet, 2)
    dut = ActiveLists(spec)
    max_in = spec.max_in
    got = {}

    async def bench(ctx):
        for index, code in [(1, 200), (4, 7), (5, 255)]:  # the loader: region 0
            ctx.set(dut.load.valid, 1)
            ctx.set(dut.load.payload, {"index": index, "code": code})
            await ctx.tick()
        ctx.set(dut.load.valid, 0)
        for region, index in [(1, 0), (1, 3), (0, 2)]:  # the writeback: both regions
            ctx.set(dut.spikes.valid, 1)
            ctx.set(dut.spikes.payload, {"region": region, "index": index})
            await ctx.tick()
        ctx.set(dut.spikes.valid, 0)
        got["count"] = [ctx.get(dut.read.count[r]) for r in range(2)]
        entries = []
        for addr in [0, 1, 2, 3, max_in, max_in + 1]:
            ctx.set(dut.read.addr, addr)
            await ctx.tick()
            e = ctx.get(dut.read.data)
            entries.append((int(e.index), int(e.code)))
        got["entries"] = entries
        ctx.set(dut.control.clear, 0b10)
        await ctx.tick()
        ctx.set(dut.control.clear, 0)
        got["after_clear"] = [ctx.get(dut.read.count[r]) for r in range(2)]

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert got["count"] == [4, 2]
    assert got["entries"] == [(1, 200), (4, 7), (5, 255), (2, 0), (0, 0), (3, 0)]
    assert got["after_clear"] == [4, 0]
