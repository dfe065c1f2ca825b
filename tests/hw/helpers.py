"""Helpers shared by the engine's tests: drive a network core in Amaranth's simulator, check it against the model."""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Value
from amaranth.sim import Simulator
from sc_neurocore.sc.network import SCNetwork

from .reference import reference_run

FIELDS = ("sc_counts", "currents", "membranes", "spikes")


def run_core(core, images, *, trace=True, trace_ready_every=1, trace_en=1):
    """Stream ``images`` (B, n_input) through the core; returns outputs, trace words and input-accept clocks.

    Every result and trace word is also decoded from the flat integer a Verilog simulator sees
    (``core.signature.decode_output`` / ``decode_trace``) and must agree with the structured read.
    """
    outs, words, accepts = [], [], []
    sig = core.signature
    extra = core.qnet.extra_states  # the neurons' other states, after the membrane and the spike

    async def feeder_sync(ctx):
        # a transfer happens at the edge where valid & ready: sample before the tick
        n = 0
        if trace:
            ctx.set(core.trace_en, trace_en)
        ctx.set(core.o.ready, 1)
        cyc = 0
        flat = [int(x) for img in images for x in img]
        # a hung core fails the test instead of hanging it: far more clocks than the slowest schedule
        per_image = core.cycles_per_image + core.T * sum(layer.n_out for layer in core.qnet.layers) * trace_ready_every
        limit = 2000 + 20 * len(images) * per_image
        while len(outs) < len(images):
            assert cyc < limit, f"no result after {cyc} clocks ({len(outs)} of {len(images)} images done): core hung?"
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
                assert sig.decode_output(ctx.get(Value.cast(core.o.payload))) == (outs[-1][0], outs[-1][1])
            if trace and tr_ready and ctx.get(core.trace.valid):
                w = ctx.get(core.trace.payload)
                words.append((w.layer, w.t, w.neuron, w.count, w.current, w.membrane, w.spike,
                              *[w[name] for name in extra]))
                raw = sig.decode_trace(ctx.get(Value.cast(core.trace.payload)))  # what cocotb sees
                assert tuple(raw[k] for k in ("layer", "t", "neuron", "count", "current", "membrane", "spike",
                                              *extra)) == words[-1]
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


def check_against_model(qnet, T, images, outs, words):
    """Results (and every trace word, the neurons' other states too) equal ``SCNetwork.run_codes(trace=True)`` and
    the independent reference."""
    res = SCNetwork.from_quantized(qnet).run_codes(images, T, trace=True)
    for b, (counts, pred, _) in enumerate(outs):
        assert counts == res.counts[b].tolist()
        assert pred == res.prediction[b]
    if not words:
        return res
    n_l = [layer.n_neurons for layer in qnet.layers]
    per_image = T * sum(n_l)
    assert len(words) == per_image * len(images)
    extra = qnet.extra_states
    for b in range(len(images)):
        got = {name: [np.zeros((T, n), np.int64) for n in n_l] for name in FIELDS + extra}
        seen = set()
        for layer, t, neuron, *vals in words[b * per_image:(b + 1) * per_image]:
            seen.add((layer, t, neuron))
            for name, v in zip(FIELDS + extra, vals):
                got[name][layer][t, neuron] = v
        assert len(seen) == per_image
        # the dense reference; a conv net's model is held to its own loop reference (tests/sc/test_conv.py)
        indep = None if qnet.has_conv else reference_run(qnet, images[b], T)
        for name in FIELDS:
            for li in range(len(n_l)):
                np.testing.assert_array_equal(got[name][li], getattr(res, name)[li][:, b], err_msg=f"{name}[{li}]")
                if indep is not None:
                    np.testing.assert_array_equal(indep[name][li], getattr(res, name)[li][:, b],
                                                  err_msg=f"model {name}")
        for name in extra:
            for li in range(len(n_l)):
                np.testing.assert_array_equal(got[name][li], res.states[li][name][:, b], err_msg=f"{name}[{li}]")
                if indep is not None:
                    np.testing.assert_array_equal(indep[name][li], res.states[li][name][:, b],
                                                  err_msg=f"model {name}")
    return res
