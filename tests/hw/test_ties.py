"""The engine on the hand-built tie net (``tests/exact_ties.py``): every trace word and result equals the
integers derived by hand there (values on theta, on the saturation bounds, round-half-up currents and
argmax ties), at several parallelisms; and the engine's LIF step on the hand-derived edge rows."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator
from exact_ties import IMAGES, LIF_EDGES, T, expected, tie_qnet
from sc_neurocore.hw.lif import LIFNeuron, LIFStep
from sc_neurocore.hw.network import SCNetworkCore

from .helpers import run_core

FIELDS = ("sc_counts", "currents", "membranes", "spikes")


@pytest.mark.parametrize("par", [(1, 1), (6, 4), (2, 3)])
def test_engine_lands_on_the_hand_derived_ties(par):
    qnet = tie_qnet()
    core = SCNetworkCore(qnet, T, parallelism=par, trace=True)
    outs, words, _ = run_core(core, IMAGES, trace=True)
    per_image = T * (6 + 3)
    assert len(words) == per_image * len(IMAGES)
    for b in range(len(IMAGES)):
        want = expected(b)
        got = {name: [np.zeros((T, 6), np.int64), np.zeros((T, 3), np.int64)] for name in FIELDS}
        for layer, t, neuron, *vals in words[b * per_image:(b + 1) * per_image]:
            for name, v in zip(FIELDS, vals):
                got[name][layer][t, neuron] = v
        for name in FIELDS:
            for li in range(2):
                np.testing.assert_array_equal(got[name][li], want[name][li], err_msg=f"image {b} {name}[{li}]")
        counts, prediction, _ = outs[b]
        assert (counts, prediction) == (want["counts"], want["prediction"]), f"image {b}"


def test_engine_without_trace_gives_the_argmax_ties():
    core = SCNetworkCore(tie_qnet(), T, parallelism=(3, 4))
    outs, _, _ = run_core(core, IMAGES, trace=False)
    assert [(c, p) for c, p, _ in outs] == [([2, 2, 1], 0), ([1, 2, 2], 1)]


def test_lif_step_and_neuron_on_the_edge_rows():
    """LIFStep (the engine's, threshold subtracted a clock ahead) and LIFNeuron on the hand rows."""
    betas = sorted({case[2] for case, _ in LIF_EDGES})
    thetas = sorted({case[3] for case, _ in LIF_EDGES})
    combos = [(b, t) for b in betas for t in thetas]
    dut = LIFStep([b for b, _ in combos], [t for _, t in combos])
    got = []

    async def bench(ctx):
        for (v, i, beta, theta), _ in LIF_EDGES:
            ctx.set(dut.layer, combos.index((beta, theta)))
            ctx.set(dut.next_current, i)
            ctx.set(dut.load, 1)
            await ctx.tick()
            ctx.set(dut.load, 0)
            ctx.set(dut.current, i)
            ctx.set(dut.state, v)
            got.append((ctx.get(dut.next_state), ctx.get(dut.spike)))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert got == [want for _, want in LIF_EDGES]

    for (v, i, beta, theta), want in LIF_EDGES:
        neuron = LIFNeuron(beta, theta)
        out = []

        async def one(ctx, neuron=neuron, v=v, i=i, out=out):
            ctx.set(neuron.en, 1)
            ctx.set(neuron.current, i)
            ctx.set(neuron.v, v)  # the membrane register is the output port itself: set it directly
            await ctx.tick()
            out.append((ctx.get(neuron.v), ctx.get(neuron.spike)))

        sim = Simulator(neuron)
        sim.add_clock(1e-6)
        sim.add_testbench(one)
        sim.run()
        assert out == [want], (v, i, beta, theta)
