"""CountPipeline (with ActiveLists and SpikeWriteback) against SCTrace.sc_counts, block by block, with a slow consumer."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.sim import Simulator
from sc_neurocore.hw.active_list import ActiveLists
from sc_neurocore.hw.count_pipeline import CountPipeline
from sc_neurocore.hw.plan import EngineSpec
from sc_neurocore.hw.writeback import SpikeWriteback
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.sc.network import SCNetwork

from .reference import random_qnet


def _hand_words(spikes, spec, g, ps):
    """A hidden group's spikes of one pass, as the neuron unit hands them over (model spikes ``(T, n)``)."""
    P, TL = spec.lanes, spec.tlanes
    words, fired = [], 0
    for p in range(P):
        j = g * P + p
        word = 0
        if j < spikes.shape[1]:
            for q in range(TL):
                t = ps * TL + q
                word |= int(t < spec.T and spikes[t, j]) << q
            fired |= int(spikes[:min(spec.T, (ps + 1) * TL), j].any()) << p
        words.append(word)
    return {"layer": 0, "group": g, "pass_": ps, "spikes": words, "fired": fired}


@pytest.mark.parametrize("rng_name,par,T", [("lfsr", (3, 2), 5), ("sobol", (2, 4), 4), ("lfsr", (4, 1), 3)])
def test_blocks_equal_model_counts(rng_name, par, T):
    cfg = SCConfig(rng=rng_name, seed=5, length=8, lfsr_steps=3)
    qnet = random_qnet([7, 6, 4], cfg, seed=2)
    spec = EngineSpec.of(qnet, T, par)
    P, TL = spec.lanes, spec.tlanes
    rng = np.random.default_rng(8)  # seed 8: image and the consumer's delays
    x = rng.integers(1, 256, qnet.n_input)
    x[[1, 4]] = 0
    res = SCNetwork.from_quantized(qnet).run_codes(x[None], T, trace=True)

    m = Module()
    m.submodules.pipeline = pipe = CountPipeline(spec)
    m.submodules.lists = lists = ActiveLists(spec)
    m.submodules.writeback = wb = SpikeWriteback(spec)
    wiring.connect(m, lists.read, pipe.lists)
    wiring.connect(m, wb.read, pipe.spikes)
    wiring.connect(m, wb.append, lists.spikes)
    blocks = []

    async def consume_layer(ctx, layer):
        ctx.set(pipe.control.layer, layer)
        ctx.set(pipe.control.start, 1)
        await ctx.tick()
        ctx.set(pipe.control.start, 0)
        while ctx.get(pipe.control.busy):
            if not ctx.get(pipe.o.valid):
                await ctx.tick()
                continue
            await ctx.tick().repeat(int(rng.integers(0, 4)) + 1)  # a slow neuron unit: the pipeline stalls
            head = ctx.get(pipe.o.payload)
            key = (int(head.layer), int(head.group), int(head.pass_))
            counts, ahead = np.zeros((P, TL), np.int64), np.zeros((P, TL), np.int64)
            for q in range(TL):
                counts[:, q] = [int(c) for c in ctx.get(pipe.o.payload).counts]
                ahead[:, q] = [int(c) for c in ctx.get(pipe.o.payload).ahead]
                ctx.set(pipe.o.shift, (1 << P) - 1)  # every lane shifts
                await ctx.tick()
                ctx.set(pipe.o.shift, 0)
            # `ahead` shows the time lane behind the head: what `counts` shows after the shift
            assert (ahead[:, :-1] == counts[:, 1:]).all()
            ctx.set(pipe.o.ready, 1)
            await ctx.tick()
            ctx.set(pipe.o.ready, 0)
            blocks.append((key, counts))

    async def bench(ctx):
        for i in np.flatnonzero(x):  # layer 0's active list, as the loader writes it
            ctx.set(lists.load.valid, 1)
            ctx.set(lists.load.payload, {"index": int(i), "code": int(x[i])})
            await ctx.tick()
        ctx.set(lists.load.valid, 0)
        await consume_layer(ctx, 0)
        for g in range(spec.plans[0].groups):  # layer 0's spikes, as the neuron unit hands them over
            for ps in range(spec.passes):
                ctx.set(wb.hand.valid, 1)
                ctx.set(wb.hand.payload, _hand_words(res.spikes[0][:, 0], spec, g, ps))
                await ctx.tick().until(wb.hand.ready)
                ctx.set(wb.hand.valid, 0)
        await ctx.tick().until(~wb.control.busy)
        await consume_layer(ctx, 1)

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    order = [(li, g, ps) for li, pl in enumerate(spec.plans) for g in range(pl.groups) for ps in range(spec.passes)]
    assert [key for key, _ in blocks] == order
    checked = 0
    for (li, g, ps), counts in blocks:
        for p in range(P):
            for q in range(TL):
                t, j = ps * TL + q, g * P + p
                if t < T and j < qnet.layers[li].n_out:
                    assert counts[p, q] == res.sc_counts[li][t, 0, j], (li, t, j)
                    checked += 1
    assert checked == T * sum(layer.n_out for layer in qnet.layers)
    assert res.spikes[0].any() and np.abs(np.concatenate([c.ravel() for _, c in blocks])).max() > 0
