"""NeuronUnit fed blocks of model counts: its currents, membranes, spikes, hand-offs and steps equal SCNetwork's."""

from __future__ import annotations

import numpy as np
from amaranth.sim import Simulator
from sc_neurocore.hw.neuron_unit import NeuronUnit
from sc_neurocore.hw.plan import EngineSpec
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.sc.network import SCNetwork

from .reference import random_qnet


def test_unit_steps_blocks_like_the_model():
    cfg = SCConfig(rng="sobol", seed=3, length=8)
    qnet = random_qnet([6, 7, 3], cfg, seed=4, bias=0.4)
    T = 5
    spec = EngineSpec.of(qnet, T, (3, 2), trace=True)
    P, TL = spec.lanes, spec.tlanes
    dut = NeuronUnit(spec)
    rng = np.random.default_rng(6)  # seed 6: image, gaps between blocks, ready patterns
    x = rng.integers(0, 256, qnet.n_input)
    res = SCNetwork.from_quantized(qnet).run_codes(x[None], T, trace=True)
    records, hands, steps = [], [], []
    order = [(li, g, ps) for li, pl in enumerate(spec.plans) for g in range(pl.groups) for ps in range(spec.passes)]

    def lane_counts(li, g, ps, head):
        q = min(head, TL - 1)  # the output register shifts its last lane onto itself
        t = ps * TL + q
        return [int(res.sc_counts[li][t, 0, g * P + p]) if t < T and g * P + p < qnet.layers[li].n_out else 0
                for p in range(P)]

    async def bench(ctx):
        ctx.set(dut.trace_en, 1)
        blocks, head = list(order), 0
        while blocks or not ctx.get(dut.control.idle):
            ctx.set(dut.trace.ready, int(rng.random() < 0.6))
            ctx.set(dut.hand.ready, int(rng.random() < 0.5))
            if blocks:
                li, g, ps = blocks[0]
                ctx.set(dut.i.valid, 1)
                ctx.set(dut.i.payload, {"layer": li, "group": g, "pass_": ps, "counts": lane_counts(li, g, ps, head),
                                        "ahead": lane_counts(li, g, ps, head + 1)})
            else:
                ctx.set(dut.i.valid, 0)
            if ctx.get(dut.trace.valid) and ctx.get(dut.trace.ready):
                w = ctx.get(dut.trace.payload)
                records.append((w.layer, w.t, w.neuron, w.count, w.current, w.membrane, w.spike))
            if ctx.get(dut.hand.valid) and ctx.get(dut.hand.ready):
                h = ctx.get(dut.hand.payload)
                hands.append((int(h.group), int(h.pass_), [int(s) for s in h.spikes], int(h.fired)))
            if ctx.get(dut.steps.valid):
                s = ctx.get(dut.steps.payload)
                steps.append((int(s.layer), int(s.group), int(s.spikes)))
            shift, release = ctx.get(dut.i.shift), ctx.get(dut.i.ready)
            assert shift in (0, (1 << P) - 1)  # the lanes' copies agree
            await ctx.tick()
            head += bool(shift)
            if release:
                blocks.pop(0)
                head = 0

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    fields = (res.sc_counts, res.currents, res.membranes, res.spikes)
    want = sorted((li, t, j, *[int(f[li][t, 0, j]) for f in fields])
                  for li, layer in enumerate(qnet.layers) for t in range(T) for j in range(layer.n_out))
    assert sorted(records) == want
    assert len(records) == len(want)
    s0 = res.spikes[0][:, 0]
    want_hands = []
    for g in range(spec.plans[0].groups):
        for ps in range(spec.passes):
            words, fired = [], 0
            for p in range(P):
                j = g * P + p
                words.append(sum(int(s0[t, j]) << (t - ps * TL) for t in range(ps * TL, min(T, ps * TL + TL)))
                             if j < qnet.layers[0].n_out else 0)
                fired |= int(j < qnet.layers[0].n_out and s0[:min(T, ps * TL + TL), j].any()) << p
            want_hands.append((g, ps, words, fired))
    # bits of time lanes past T in the last pass are left over from the pass before: never read, so masked here
    valid = [(1 << min(TL, T - ps * TL)) - 1 for ps in range(spec.passes)]
    assert [(g, ps, [w & valid[ps] for w in words], fired) for g, ps, words, fired in hands] == want_hands
    out = [(g, bits) for li, g, bits in steps if li == 1]
    got_counts = np.zeros(qnet.n_output, int)
    for g, bits in out:
        for p in range(P):
            if g * P + p < qnet.n_output:
                got_counts[g * P + p] += (bits >> p) & 1
    assert got_counts.tolist() == res.counts[0].tolist()
    assert s0.any() and res.spikes[1].any()
