"""SCDenseLayerCore, one layer driven directly, against the independent reference."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator
from sc_neurocore.hw.layer import SCDenseLayerCore, layer_run_cycles
from sc_neurocore.sc.contract import SCConfig

from .reference import random_qnet, reference_run


def _run_layer(core, xq, T, spikes_in=None):
    """Run T timesteps; returns per-t records and measured clocks per timestep."""
    recs, clocks = [], []

    async def bench(ctx):
        if xq is not None:
            for x in xq:
                ctx.set(core.x_wen, 1)
                ctx.set(core.x_code, int(x))
                await ctx.tick()
            ctx.set(core.x_wen, 0)
        ctx.set(core.restart, 1)
        await ctx.tick()
        ctx.set(core.restart, 0)
        for t in range(T):
            if spikes_in is not None:
                ctx.set(core.spikes_in, int("".join(str(int(b)) for b in spikes_in[t][::-1]), 2))
            ctx.set(core.start, 1)
            await ctx.tick()
            ctx.set(core.start, 0)
            n = 1
            while ctx.get(core.busy):
                await ctx.tick()
                n += 1
            clocks.append(n)
            rows = []
            for g in range(core.groups):
                ctx.set(core.tr_addr, g)
                await ctx.tick()
                for p in range(core.lanes):
                    r = ctx.get(core.tr_data[p])
                    rows.append((r.count, r.current, r.membrane, r.spike))
            recs.append(rows[: core.n_out])
            spikes = ctx.get(core.spikes)
            assert [(spikes >> j) & 1 for j in range(core.n_out)] == [r[3] for r in recs[-1]]

    sim = Simulator(core)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return np.array(recs), clocks


@pytest.mark.parametrize("rng,lanes,width", [("lfsr", 2, 3), ("sobol", 3, 7), ("lfsr", 5, 1)])
def test_prob_layer(rng, lanes, width):
    cfg = SCConfig(rng=rng, seed=5, length=8, lfsr_steps=2)
    qnet = random_qnet([7, 5, 3], cfg, seed=lanes)
    T = 4
    xq = np.random.default_rng(width).integers(0, 256, 7)
    xq[2] = 0
    ref = reference_run(qnet, xq, T)
    core = SCDenseLayerCore(qnet.layers[0], cfg, 0, lanes=lanes, width=width, trace=True)
    recs, clocks = _run_layer(core, xq, T)
    for f, name in enumerate(("sc_counts", "currents", "membranes", "spikes")):
        np.testing.assert_array_equal(recs[:, :, f], ref[name][0], err_msg=name)
    assert clocks == [layer_run_cycles(7, 5, lanes, width)] * T


@pytest.mark.parametrize("lanes,width", [(1, 5), (3, 2)])
def test_spike_layer(lanes, width):
    cfg = SCConfig(rng="lfsr", seed=3, length=6, lfsr_kind="galois")
    qnet = random_qnet([4, 9, 5], cfg, seed=7)
    T = 5
    xq = np.random.default_rng(1).integers(0, 256, 4)
    ref = reference_run(qnet, xq, T)
    assert ref["spikes"][0].sum() > 0
    core = SCDenseLayerCore(qnet.layers[1], cfg, 1, lanes=lanes, width=width, trace=True)
    recs, _ = _run_layer(core, None, T, spikes_in=ref["spikes"][0])
    for f, name in enumerate(("sc_counts", "currents", "membranes", "spikes")):
        np.testing.assert_array_equal(recs[:, :, f], ref[name][1], err_msg=name)


def test_checks():
    cfg = SCConfig()
    qnet = random_qnet([3, 2], cfg)
    with pytest.raises(TypeError, match="QuantizedLayer"):
        SCDenseLayerCore("layer", cfg)
    with pytest.raises(ValueError, match="0"):
        SCDenseLayerCore(qnet.layers[0], cfg, lanes=0)
    with pytest.raises(ValueError, match="bipolar"):
        SCDenseLayerCore(qnet.layers[0], cfg.replace(polarity="bipolar"))


def test_active_chunks_and_run_cycles():
    from sc_neurocore.hw.layer import active_chunks

    assert active_chunks([0, 0, 3, 0, 0, 0, 0], 2) == 1
    assert active_chunks([1, 0, 0, 0, 0, 0, 1], 3) == 2
    assert active_chunks([0] * 5, 1) == 0
    assert layer_run_cycles(7, 5, 2, 3) == 3 * 3 + 5
    assert layer_run_cycles(7, 5, 2, 3, active_chunks=0) == 3 * 1 + 5
    assert layer_run_cycles(7, 5, 99, 99) == 1 + 5
