"""SCWavefrontCore (the per-timestep reference core) against SCNetwork.run_codes(trace=True), and its cycles."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Value
from amaranth.sim import Simulator
from sc_neurocore.hw.wavefront import SCWavefrontCore as SCNetworkCore
from sc_neurocore.hw.wavefront import cycles_per_image
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.sc.network import SCNetwork

from .reference import random_qnet, reference_run

FIELDS = ("sc_counts", "currents", "membranes", "spikes")


def run_core(core, images, *, trace=True, trace_ready_every=1, trace_en=1):
    """Stream ``images`` (B, n_input) through the core; returns outputs, trace words and input-accept clocks."""
    outs, words, accepts = [], [], []

    async def feeder_sync(ctx):
        # a transfer happens at the edge where valid & ready: sample before the tick
        n = 0
        if trace:
            ctx.set(core.trace_en, trace_en)
        ctx.set(core.o.ready, 1)
        cyc = 0
        flat = [int(x) for img in images for x in img]
        while len(outs) < len(images):
            if n < len(flat):
                ctx.set(core.i.valid, 1)
                ctx.set(core.i.payload, flat[n])
            else:
                ctx.set(core.i.valid, 0)
            tr_ready = int(cyc % trace_ready_every == 0)
            if trace:
                ctx.set(core.trace.ready, tr_ready)
            i_acc = n < len(flat) and ctx.get(core.i.ready)
            if ctx.get(core.o.valid):
                p = ctx.get(core.o.payload)
                outs.append(([int(c) for c in p.counts], int(p.prediction), cyc))
                assert core.decode_output(ctx.get(Value.cast(core.o.payload))) == (outs[-1][0], outs[-1][1])
            if trace and tr_ready and ctx.get(core.trace.valid):
                w = ctx.get(core.trace.payload)
                words.append((w.layer, w.t, w.neuron, w.count, w.current, w.membrane, w.spike))
                raw = core.decode_trace(ctx.get(Value.cast(core.trace.payload)))  # what cocotb sees
                assert tuple(raw[k] for k in ("layer", "t", "neuron", "count", "current", "membrane", "spike")) \
                    == words[-1]
            if i_acc:
                accepts.append(cyc)
                n += 1
            await ctx.tick()
            cyc += 1

    sim = Simulator(core)
    sim.add_clock(1e-6)
    sim.add_testbench(feeder_sync)
    sim.run()
    return outs, words, accepts


def _check_against_model(qnet, T, images, outs, words):
    res = SCNetwork.from_quantized(qnet).run_codes(images, T, trace=True)
    for b, (counts, pred, _) in enumerate(outs):
        assert counts == res.counts[b].tolist()
        assert pred == res.prediction[b]
    if not words:
        return res
    n_l = [layer.n_out for layer in qnet.layers]
    per_image = T * sum(n_l)
    assert len(words) == per_image * len(images)
    for b in range(len(images)):
        got = {name: [np.zeros((T, n), np.int64) for n in n_l] for name in FIELDS}
        seen = set()
        for layer, t, neuron, *vals in words[b * per_image:(b + 1) * per_image]:
            seen.add((layer, t, neuron))
            for name, v in zip(FIELDS, vals):
                got[name][layer][t, neuron] = v
        assert len(seen) == per_image
        indep = reference_run(qnet, images[b], T)
        for name in FIELDS:
            for li in range(len(n_l)):
                np.testing.assert_array_equal(got[name][li], getattr(res, name)[li][:, b], err_msg=f"{name}[{li}]")
                np.testing.assert_array_equal(indep[name][li], getattr(res, name)[li][:, b], err_msg=f"model {name}")
    return res


@pytest.mark.parametrize("rng,sizes,par", [
    ("lfsr", [6, 8, 4], (3, 2)),
    ("sobol", [5, 7, 6, 3], [(2, 5), (7, 3), (1, 1)]),
])
def test_core_equals_model_every_timestep(rng, sizes, par):
    cfg = SCConfig(rng=rng, seed=21, length=8, lfsr_steps=3)
    qnet = random_qnet(sizes, cfg, seed=len(sizes))
    T = 6
    images = np.random.default_rng(3).integers(0, cfg.prob_max + 1, (2, sizes[0]))
    images[0, 1] = 0
    core = SCNetworkCore(qnet, T, parallelism=par, trace=True)
    outs, words, _ = run_core(core, images, trace_ready_every=2)
    res = _check_against_model(qnet, T, images, outs, words)
    assert sum(r.sum() for r in res.spikes[:-1]) > 0  # hidden layers did spike


@pytest.mark.parametrize("par", [(1, 1), (4, 3), (16, 16)])
def test_cycles_per_image(par):
    cfg = SCConfig(rng="lfsr", seed=2, length=4)
    qnet = random_qnet([9, 10, 3], cfg, seed=1)
    T = 3
    images = np.random.default_rng(0).integers(0, 256, (2, 9))
    core = SCNetworkCore(qnet, T, parallelism=par)
    outs, _, accepts = run_core(core, images, trace=False)
    _check_against_model(qnet, T, images, outs, [])
    period = accepts[9] - accepts[0]
    assert period == cycles_per_image(qnet, T, par) == core.cycles_per_image


def test_cycles_per_image_with_trace():
    cfg = SCConfig(length=4)
    qnet = random_qnet([5, 6, 2], cfg, seed=4)
    core = SCNetworkCore(qnet, 2, parallelism=(4, 2), trace=True)
    images = np.random.default_rng(0).integers(0, 256, (2, 5))
    outs, words, accepts = run_core(core, images, trace=True)
    _check_against_model(qnet, 2, images, outs, words)
    assert accepts[5] - accepts[0] == cycles_per_image(qnet, 2, (4, 2), trace=True)
    outs, words, accepts = run_core(core, images, trace=True, trace_en=0)
    assert words == []
    _check_against_model(qnet, 2, images, outs, words)
    assert accepts[5] - accepts[0] == cycles_per_image(qnet, 2, (4, 2), trace=False)


def test_digits_sized_schedules():
    """The cycle budgets of the board goals, for the 64-128-10 digits net at T=25, L=16."""
    qnet = random_qnet([64, 128, 10], SCConfig(length=16), seed=0)
    ecp5 = cycles_per_image(qnet, 25, [(8, 16), (5, 8)])  # >= 50k images/s at 100 MHz
    ice40 = cycles_per_image(qnet, 25, [(4, 8), (1, 8)])  # >= 2k images/s at 24 MHz
    assert ecp5 <= 2000 and ice40 <= 12000
    # the wavefront: a step lasts as long as its slowest active layer, not the sum of the layers
    assert ecp5 == 64 + 2 + 25 * (16 * 4 + 5) + (2 * 16 + 5)
    assert ice40 == 64 + 2 + 25 * (32 * 8 + 5) + (10 * 16 + 5)


def test_checks():
    cfg = SCConfig(length=4)
    qnet = random_qnet([3, 2], cfg)
    with pytest.raises(TypeError, match="QuantizedNet"):
        SCNetworkCore("net", 3)
    with pytest.raises(ValueError, match="0"):
        SCNetworkCore(qnet, 0)
    with pytest.raises(ValueError, match="parallelism"):
        SCNetworkCore(qnet, 3, parallelism=(1, 2, 3))
    with pytest.raises(ValueError, match="-1"):
        cycles_per_image(qnet, 3, (-1, 2))


@pytest.mark.slow
def test_digits_sized_core_equals_model():
    """The 64-128-10 net at the ECP5 setting, a few timesteps, every trace word checked."""
    cfg = SCConfig(rng="sobol", seed=1, length=16)
    qnet = random_qnet([64, 128, 10], cfg, seed=5)
    T = 3
    images = np.random.default_rng(9).integers(0, cfg.prob_max + 1, (1, 64))
    images[0, ::3] = 0
    core = SCNetworkCore(qnet, T, parallelism=[(8, 16), (5, 8)], trace=True)
    outs, words, _ = run_core(core, images)
    _check_against_model(qnet, T, images, outs, words)


@pytest.mark.parametrize("rng,par", [("lfsr", [(3, 1), (2, 2)]), ("sobol", [(2, 3), (4, 1)])])
def test_skip_zeros_same_integers_fewer_cycles(rng, par):
    """Event-driven schedule: same trace as the model, clocks as predicted from the image's activity."""
    cfg = SCConfig(rng=rng, seed=8, length=4)
    qnet = random_qnet([9, 7, 3], cfg, seed=2, bias=0.1)
    T = 4
    images = np.random.default_rng(5).integers(1, 256, (3, 9))
    images[0, :5] = 0
    images[1, :] = 0  # nothing to count at all: every layer still runs its LIF on the bias
    images[2, 3:9] = 0
    core = SCNetworkCore(qnet, T, parallelism=par, trace=True, skip_zeros=True)
    outs, words, _ = run_core(core, images)
    _check_against_model(qnet, T, images, outs, words)
    core = SCNetworkCore(qnet, T, parallelism=par, skip_zeros=True)
    outs, _, accepts = run_core(core, images, trace=False)
    _check_against_model(qnet, T, images, outs, [])
    for b in range(2):
        got = accepts[9 * (b + 1)] - accepts[9 * b]
        assert got == cycles_per_image(qnet, T, par, skip_zeros=True, xq=images[b])
        assert got < cycles_per_image(qnet, T, par)
