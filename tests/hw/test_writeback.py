"""SpikeWriteback: a group's spike words into the spike memory, its spiking neurons to the next list, one clock each."""

from __future__ import annotations

import numpy as np
from amaranth.sim import Simulator
from sc_neurocore.hw.plan import EngineSpec
from sc_neurocore.hw.writeback import SpikeWriteback
from sc_neurocore.sc.contract import SCConfig

from .reference import random_qnet


def test_spike_words_list_and_clocks():
    qnet = random_qnet([4, 7, 5, 2], SCConfig(length=4), seed=1)
    T = 5
    spec = EngineSpec.of(qnet, T, (3, 2))  # 3 lanes, 2 time lanes, 3 passes; hidden layers of 7 and 5
    P, TL, passes = spec.lanes, spec.tlanes, spec.passes
    dut = SpikeWriteback(spec)
    rng = np.random.default_rng(9)  # seed 9: the spike pattern
    spikes = {li: (rng.random((T, n)) < 0.3).astype(int) for li, n in ((0, 7), (1, 5))}
    spikes[0][:, 2] = 0  # a neuron that never spikes is not listed
    appended, busy_clocks, rows = [], [], {}

    async def bench(ctx):
        for li in (0, 1):
            s = spikes[li]
            for g in range(spec.plans[li].groups):
                for ps in range(passes):
                    words = [sum(int(s[t, g * P + p]) << (t - ps * TL) for t in range(ps * TL, min(T, ps * TL + TL)))
                             if g * P + p < s.shape[1] else 0 for p in range(P)]
                    fired = sum(int(g * P + p < s.shape[1] and s[:ps * TL + TL, g * P + p].any()) << p for p in range(P))
                    ctx.set(dut.hand.valid, 1)
                    ctx.set(dut.hand.payload, {"layer": li, "group": g, "pass_": ps, "spikes": words, "fired": fired})
                    await ctx.tick().until(dut.hand.ready)
                    ctx.set(dut.hand.valid, 0)
                    n = 0
                    while ctx.get(dut.control.busy):
                        if ctx.get(dut.append.valid):
                            p = ctx.get(dut.append.payload)
                            appended.append((li, int(p.region), int(p.index)))
                        n += 1
                        await ctx.tick()
                    busy_clocks.append(n)
        for li in (0, 1):
            for j in range(spikes[li].shape[1]):
                ctx.set(dut.read.addr, li * spec.max_hidden + j)
                await ctx.tick()
                rows[(li, j)] = ctx.get(dut.read.data)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    want_list = [(li, 1 - li, j) for li in (0, 1) for j in np.flatnonzero(spikes[li].any(axis=0))]
    assert appended == want_list  # after each group's last pass, in neuron order, to the next layer's region
    assert busy_clocks == [min(P, spikes[li].shape[1] - g * P) for li in (0, 1)
                           for g in range(spec.plans[li].groups) for _ in range(passes)]
    for (li, j), word in rows.items():  # bit pass * TL + q = timestep pass * TL + q
        assert word == sum(int(spikes[li][t, j]) << t for t in range(T)), (li, j)
