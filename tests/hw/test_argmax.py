"""Argmax: class counters of the last layer's spikes, the scan's clocks, ties to the lowest index."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator
from sc_neurocore.hw.argmax import Argmax
from sc_neurocore.hw.plan import EngineSpec
from sc_neurocore.sc.contract import SCConfig

from .reference import random_qnet


@pytest.mark.parametrize("n_out,lanes,seed", [(5, 2, 0), (4, 4, 1), (2, 1, 2), (7, 3, 3), (1, 1, 4)])
def test_counts_and_argmax_equal_numpy(n_out, lanes, seed):
    T = 6
    qnet = random_qnet([4, 5, n_out], SCConfig(length=4), seed=seed)
    spec = EngineSpec.of(qnet, T, (lanes, 2))
    dut = Argmax(spec)
    rng = np.random.default_rng(seed)  # the spike pattern
    spikes = (rng.random((T, n_out)) < 0.5).astype(int)
    if seed == 1:
        spikes[:, 1] = spikes[:, 3] = 1  # a tie: the lowest index wins
    groups = -(-n_out // lanes)
    got = {}

    async def bench(ctx):
        ctx.set(dut.control.clear, 1)
        await ctx.tick()
        ctx.set(dut.control.clear, 0)
        for t in range(T):
            for g in range(groups):
                for layer in (0, 1):  # layer 0 (hidden) spikes must not count
                    bits = sum(int(spikes[t, j]) << (j - g * lanes) for j in range(g * lanes, min(n_out, g * lanes + lanes)))
                    ctx.set(dut.steps.valid, 1)
                    ctx.set(dut.steps.payload, {"layer": layer, "group": g, "spikes": bits if layer else (1 << lanes) - 1})
                    await ctx.tick()
        ctx.set(dut.steps.valid, 0)
        ctx.set(dut.control.start, 1)
        await ctx.tick()
        ctx.set(dut.control.start, 0)
        clocks = 1
        while not ctx.get(dut.o.valid):
            await ctx.tick()
            clocks += 1
            assert clocks < 100, "no result: the scan hangs"
        p = ctx.get(dut.o.payload)
        got.update(clocks=clocks, counts=[int(c) for c in p.counts], prediction=int(p.prediction))
        ctx.set(dut.o.ready, 1)
        assert ctx.get(dut.control.done)
        await ctx.tick()
        assert not ctx.get(dut.o.valid)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    counts = spikes.sum(axis=0)
    assert got["counts"] == counts.tolist()
    assert got["prediction"] == int(np.argmax(counts))
    assert got["clocks"] == n_out  # start, then n_output - 1 clocks of scan, then o.valid
