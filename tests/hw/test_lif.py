"""LIFNeuron against sc_neurocore.sc.fixed.lif_step, step for step, including saturation."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator
from hypothesis import given, settings
from hypothesis import strategies as st
from sc_neurocore.hw.lif import LIFNeuron
from sc_neurocore.sc.contract import Q8_8
from sc_neurocore.sc.fixed import lif_step


def _run(dut, currents, beta=None, theta=None, reset_at=()):
    out = []

    async def bench(ctx):
        if beta is not None:
            ctx.set(dut.beta, beta)
        if theta is not None:
            ctx.set(dut.theta, theta)
        for k, i in enumerate(currents):
            ctx.set(dut.reset, int(k in reset_at))
            ctx.set(dut.en, 1)
            ctx.set(dut.current, int(i))
            await ctx.tick()
            out.append((ctx.get(dut.v), ctx.get(dut.spike)))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return out


def _model(currents, beta, theta, reset_at=()):
    # 1-element arrays: lif_step on plain ints fails (bool has no astype) -- reported to the SC model
    v, out = np.zeros(1, np.int64), []
    for k, i in enumerate(currents):
        if k in reset_at:
            v, s = np.zeros(1, np.int64), np.zeros(1, np.int64)
        else:
            v, s = lif_step(v, np.array([int(i)]), beta, theta)
        out.append((int(v[0]), int(s[0])))
    return out


@pytest.mark.parametrize("beta,theta", [(230, 256), (0, 1), (255, Q8_8.max_int), (128, 77)])
def test_lif_constants(beta, theta):
    g = np.random.default_rng(beta + theta)
    cur = g.integers(Q8_8.min_int, Q8_8.max_int + 1, 300)
    cur[:20] = Q8_8.max_int  # drive into positive saturation
    cur[40:60] = Q8_8.min_int  # and negative
    cur[100:200] = g.integers(-300, 400, 100)
    dut = LIFNeuron(beta, theta)
    assert _run(dut, cur, reset_at=(250,)) == _model(cur, beta, theta, reset_at=(250,))


@settings(max_examples=25, deadline=None)
@given(beta=st.integers(0, 255), theta=st.integers(1, Q8_8.max_int),
       cur=st.lists(st.integers(Q8_8.min_int, Q8_8.max_int), min_size=1, max_size=30))
def test_lif_ports_hypothesis(beta, theta, cur):
    dut = LIFNeuron()
    assert _run(dut, cur, beta=beta, theta=theta) == _model(cur, beta, theta)


@pytest.mark.parametrize("kwargs,exc,text", [({"beta_q": 256}, ValueError, "256"), ({"theta_q": 0}, ValueError, "0"),
                                             ({"beta_q": 1.0}, ValueError, "1.0"), ({"fmt": "Q8.8"}, TypeError, "Q8.8")])
def test_bad_arguments_raise(kwargs, exc, text):
    with pytest.raises(exc, match=text):
        LIFNeuron(**kwargs)


def test_split_update_equals_lif_step():
    """lif_update_split (the engine's form) against lif_step: random values plus every saturation edge."""
    from amaranth.hdl import Module, Signal, signed
    from sc_neurocore.hw.lif import lif_update_split

    fmt = Q8_8
    rng = np.random.default_rng(11)  # seed 11; exact integers, no tolerance
    cases = [(int(v), int(i), int(b), int(t)) for v, i, b, t in zip(
        rng.integers(fmt.min_int, fmt.max_int + 1, 3000), rng.integers(fmt.min_int, fmt.max_int + 1, 3000),
        rng.integers(0, 256, 3000), rng.integers(1, fmt.max_int + 1, 3000))]
    edges_v = (fmt.min_int, -1, 0, 1, fmt.max_int)
    edges_i = (fmt.min_int, -1, 0, 1, 255, 256, 257, fmt.max_int)
    edges_t = (1, 256, fmt.max_int - 1, fmt.max_int)
    cases += [(v, i, b, t) for v in edges_v for i in edges_i for b in (0, 128, 230, 255) for t in edges_t]
    m = Module()
    v, cur, cmt = Signal(signed(16)), Signal(signed(16)), Signal(signed(17))
    beta, theta = Signal(8), Signal(signed(16))
    vn, sn = lif_update_split(v, cur, cmt, beta, theta, fmt)
    out_v, out_s = Signal(signed(16)), Signal()
    m.d.comb += [out_v.eq(vn), out_s.eq(sn)]
    got = []

    async def bench(ctx):
        for a, i, b, t in cases:
            ctx.set(v, a)
            ctx.set(cur, i)
            ctx.set(cmt, i - t)
            ctx.set(beta, b)
            ctx.set(theta, t)
            got.append((ctx.get(out_v), ctx.get(out_s)))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    expected = [lif_step(a, i, b, t, fmt) for a, i, b, t in cases]
    assert got == expected


def test_lif_step_is_the_neuron_interface_and_equals_lif_step():
    """LIFStep (the engine's neuron model) against lif_step with each layer's constants; load a clock ahead."""
    from sc_neurocore.hw.lif import LIFStep
    from sc_neurocore.hw.neuron import NeuronSignature

    fmt = Q8_8
    betas, thetas = [230, 0, 255], [256, 1, fmt.max_int]
    dut = LIFStep(betas, thetas)
    assert dut.signature == NeuronSignature(3, fmt, dut.state.shape())
    rng = np.random.default_rng(5)  # seed 5; exact integers
    edges = [fmt.min_int, -1, 0, 1, 256, fmt.max_int]
    cases = [(int(li), int(v), int(i)) for li, v, i in zip(rng.integers(0, 3, 1500),
                                                            rng.integers(fmt.min_int, fmt.max_int + 1, 1500),
                                                            rng.integers(fmt.min_int, fmt.max_int + 1, 1500))]
    cases += [(li, v, i) for li in range(3) for v in edges for i in edges]
    got = []

    async def bench(ctx):
        for li, v, i in cases:
            ctx.set(dut.layer, li)
            ctx.set(dut.next_current, i)
            ctx.set(dut.load, 1)
            await ctx.tick()  # the step's precomputation happens a clock ahead, with the layer already set
            ctx.set(dut.load, 0)
            ctx.set(dut.next_current, 0)  # must not matter without load
            ctx.set(dut.current, i)
            ctx.set(dut.state, v)
            got.append((ctx.get(dut.next_state), ctx.get(dut.spike)))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    want = [tuple(int(x) for x in lif_step(v, i, betas[li], thetas[li], fmt)) for li, v, i in cases]
    assert got == want
    assert [tuple(int(x) for x in dut.model(v, i, li)) for li, v, i in cases[:50]] == want[:50]


@pytest.mark.parametrize("args,exc,text", [(([1, 2], [3]), ValueError, "one entry per layer"),
                                           (([257], [3]), ValueError, "257"), (([1], [0]), ValueError, "theta"),
                                           (([1], [1]), TypeError, "fmt")])
def test_lif_step_bad_arguments_raise(args, exc, text):
    from sc_neurocore.hw.lif import LIFStep

    with pytest.raises(exc, match=text):
        LIFStep(*args, fmt="Q8.8") if exc is TypeError else LIFStep(*args)


# ------------------------------------------------------------------ the peers' conventions (issue 12, item 3)


def test_reset_update_equals_lif_step():
    """lif_update_reset (zero reset, subtract of reset_q, beta_q up to 256) against lif_step: random values
    plus every saturation edge; exact integers, seed 12."""
    from amaranth.hdl import Module, Signal, signed
    from sc_neurocore.hw.lif import lif_update_reset

    fmt = Q8_8
    n = 3000
    rng = np.random.default_rng(12)
    cases = [(int(v), int(i), int(b), int(t), int(r), int(z)) for v, i, b, t, r, z in zip(
        rng.integers(fmt.min_int, fmt.max_int + 1, n), rng.integers(fmt.min_int, fmt.max_int + 1, n),
        rng.integers(0, 257, n), rng.integers(1, fmt.max_int + 1, n), rng.integers(1, fmt.max_int + 1, n),
        rng.integers(0, 2, n))]
    edges_v = (fmt.min_int, -1, 0, 1, fmt.max_int)
    edges_i = (fmt.min_int, -1, 0, 1, 256, 257, fmt.max_int)
    edges_t = (1, 256, fmt.max_int - 1, fmt.max_int)
    cases += [(v, i, b, t, r, z) for v in edges_v for i in edges_i for b in (0, 230, 255, 256) for t in edges_t
              for r in (1, t, fmt.max_int) for z in (0, 1)]
    m = Module()
    v, cur, cmt, cmr = Signal(signed(16)), Signal(signed(16)), Signal(signed(17)), Signal(signed(17))
    beta, theta, amount, zero = Signal(9), Signal(signed(16)), Signal(signed(16)), Signal()
    vn, sn = lif_update_reset(v, cur, cmt, cmr, beta, theta, amount, zero, fmt)
    out_v, out_s = Signal(signed(16)), Signal()
    m.d.comb += [out_v.eq(vn), out_s.eq(sn)]
    got = []

    async def bench(ctx):
        for a, i, b, t, r, z in cases:
            for sig, val in ((v, a), (cur, i), (cmt, i - t), (cmr, i - r), (beta, b), (theta, t), (amount, r),
                             (zero, z)):
                ctx.set(sig, val)
            got.append((ctx.get(out_v), ctx.get(out_s)))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    expected = [lif_step(a, i, b, t, fmt, reset="zero" if z else "subtract", reset_q=None if z else r)
                for a, i, b, t, r, z in cases]
    assert got == expected
    assert sum(s for _, s in got) > 1000 and any(z and s for (_, s), (*_, z) in zip(got, cases))


@pytest.mark.parametrize("leak", ["lut", "multiplier"])
def test_lif_step_with_the_peers_conventions_equals_lif_step(leak):
    """LIFStep with integrate-and-fire (beta_q = 256, one bit wider than the leak format), a zero reset and a
    delayed-style subtract in one net, in both leak forms (shift-adds in LUTs; a multiplier by a constant one bit
    wider than the leak format)."""
    from amaranth.hdl import Fragment
    from sc_neurocore.hw.lif import LIFStep

    fmt = Q8_8
    betas, thetas = [256, 230, 200, 255], [256, 300, 256, 1]
    resets, reset_qs = ["subtract", "zero", "subtract", "subtract"], [None, None, 333, None]
    dut = LIFStep(betas, thetas, resets=resets, reset_qs=reset_qs, leak=leak)
    assert not dut.plain and dut.amounts == (256, 300, 333, 1)
    if_only = LIFStep([256], [256])
    assert if_only.plain  # IF alone keeps the plain (split) logic
    Fragment.get(if_only, None)
    rng = np.random.default_rng(13)  # seed 13; exact integers
    edges = [fmt.min_int, -1, 0, 1, 256, 300, fmt.max_int]
    cases = [(int(li), int(v), int(i)) for li, v, i in zip(rng.integers(0, 4, 1500),
                                                            rng.integers(fmt.min_int, fmt.max_int + 1, 1500),
                                                            rng.integers(-600, 900, 1500))]
    cases += [(li, v, i) for li in range(4) for v in edges for i in edges]
    got = []

    async def bench(ctx):
        for li, v, i in cases:
            ctx.set(dut.layer, li)
            ctx.set(dut.next_current, i)
            ctx.set(dut.load, 1)
            await ctx.tick()
            ctx.set(dut.load, 0)
            ctx.set(dut.next_current, 0)
            ctx.set(dut.current, i)
            ctx.set(dut.state, v)
            got.append((ctx.get(dut.next_state), ctx.get(dut.spike)))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    want = [tuple(int(x) for x in lif_step(v, i, betas[li], thetas[li], fmt, reset=resets[li], reset_q=reset_qs[li]))
            for li, v, i in cases]
    assert got == want
    assert [tuple(int(x) for x in dut.model(v, i, li)) for li, v, i in cases[:50]] == want[:50]
    # each convention is exercised: IF keeps v exactly (no leak), a zero reset leaves 0, the subtract of 333
    for li, v, i in cases:
        if li == 0 and -1000 < v < 1000 and -600 < i < 900:
            assert lif_step(v, i, 256, 256)[0] == v + i - 256 * int(v + i > 256)
    assert any(s and nv == 0 for (nv, s), (li, _, _) in zip(got, cases) if li == 1)


@pytest.mark.parametrize("kwargs,text", [
    (dict(resets=["zero"], reset_qs=[5]), "takes none"),
    (dict(resets=["nope"]), "reset must be one of"),
    (dict(reset_qs=[0]), "reset_q must be None or an integer"),
    (dict(resets=["zero", "zero"]), "one entry per layer"),
])
def test_lif_step_bad_reset_arguments_raise(kwargs, text):
    from sc_neurocore.hw.lif import LIFStep

    with pytest.raises(ValueError, match=text):
        LIFStep([230], [256], **kwargs)


@pytest.mark.parametrize("kwargs, want", [
    # subtract 300, not theta: v = 0 + 300 > 256 -> spike, 300 - 300 = 0 (theta would leave 44)
    (dict(reset_qs=[300]), (0, 1)),
    # reset to zero, the amount being theta: 300 > 256 -> spike, 0 (a subtract would leave 44)
    (dict(resets=["zero"]), (0, 1)),
])
def test_lif_step_one_layer_reset_by_hand(kwargs, want):
    """One layer whose reset differs from 'subtract theta' in one way only: the engine's LIF step follows it."""
    from sc_neurocore.hw.lif import LIFStep

    dut = LIFStep([230], [256], **kwargs)
    got = []

    async def bench(ctx):
        ctx.set(dut.layer, 0)
        ctx.set(dut.next_current, 300)
        ctx.set(dut.load, 1)
        await ctx.tick()
        ctx.set(dut.load, 0)
        ctx.set(dut.current, 300)
        ctx.set(dut.state, 0)
        got.append((ctx.get(dut.next_state), ctx.get(dut.spike)))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert got == [want]


@given(st.integers(0, 1 << 20))
@settings(max_examples=300, deadline=None)
def test_csd_digits_sum_to_the_value_with_no_adjacent_digits(value):
    from sc_neurocore.hw.lif import csd_digits

    digits = csd_digits(value)
    assert sum(d << k for k, d in digits) == value
    shifts = [k for k, _ in digits]
    assert all(b - a >= 2 for a, b in zip(shifts, shifts[1:]))  # canonical: no two adjacent non-zero digits
    assert len(digits) <= bin(value).count("1")  # never more adders than the plain binary form


def test_csd_digits_of_known_values():
    from sc_neurocore.hw.lif import csd_digits

    assert csd_digits(0) == []
    assert csd_digits(230) == [(1, -1), (3, 1), (5, -1), (8, 1)]  # 230 = 256 - 32 + 8 - 2
    assert csd_digits(256) == [(8, 1)]
    assert csd_digits(7) == [(0, -1), (3, 1)]
    with pytest.raises(ValueError):
        csd_digits(-1)


def test_constant_leak_equals_the_floor_shifted_product():
    """constant_leak (shift-add per layer constant, chosen by layer) against (v * beta) >> 8 in Python integers,
    for every leak 0..256 and membranes across the Q8.8 range (seed 4)."""
    from amaranth.hdl import Module, Signal, signed
    from sc_neurocore.hw.lif import constant_leak

    rng = np.random.default_rng(4)
    vs = [Q8_8.min_int, -1, 0, 1, Q8_8.max_int] + rng.integers(Q8_8.min_int, Q8_8.max_int + 1, 20).tolist()
    for betas in ([b, 256 - b, 230] for b in range(0, 257)):
        m = Module()
        v, layer = Signal(signed(16)), Signal(range(3))
        out = Signal(signed(26))
        m.d.comb += out.eq(constant_leak(v, betas, layer, 8))
        got = []

        async def bench(ctx, v=v, layer=layer, out=out, got=got):
            for li in range(3):
                for a in vs:
                    ctx.set(v, int(a))
                    ctx.set(layer, li)
                    got.append(ctx.get(out))

        sim = Simulator(m)
        sim.add_testbench(bench)
        sim.run()
        assert got == [(int(a) * betas[li]) >> 8 for li in range(3) for a in vs], betas


@pytest.mark.parametrize("constant", [0, 1, 2, 3, 5, 7, 85, 230, 255, 256, 1000, 4095])
def test_constant_product_equals_the_product(constant):
    """constant_product (signed digits as shifts and adds) against v * constant in Python integers, the constant 0
    included (no digits: the product is the constant 0)."""
    from amaranth.hdl import Module, Signal, signed
    from sc_neurocore.hw.lif import constant_product

    vs = [Q8_8.min_int, -257, -1, 0, 1, 255, 256, Q8_8.max_int]
    m = Module()
    v, out = Signal(signed(16)), Signal(signed(32))
    m.d.comb += out.eq(constant_product(v, constant))
    got = []

    async def bench(ctx):
        for a in vs:
            ctx.set(v, a)
            got.append(ctx.get(out))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert got == [a * constant for a in vs]


@pytest.mark.parametrize("betas", [[230], [0], [256], [255, 255, 255]])
def test_constant_leak_of_one_distinct_leak(betas):
    """A net whose layers share one leak takes constant_leak's single-product path (no multiplexer): still
    (v * beta) >> 8, floored."""
    from amaranth.hdl import Module, Signal, signed
    from sc_neurocore.hw.lif import constant_leak

    vs = [Q8_8.min_int, -300, -1, 0, 1, 300, Q8_8.max_int]
    m = Module()
    v, layer, out = Signal(signed(16)), Signal(range(max(len(betas), 2))), Signal(signed(26))
    m.d.comb += out.eq(constant_leak(v, betas, layer, 8))
    got = []

    async def bench(ctx):
        for li in range(len(betas)):
            for a in vs:
                ctx.set(v, a)
                ctx.set(layer, li)
                got.append(ctx.get(out))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert got == [(a * betas[li]) >> 8 for li in range(len(betas)) for a in vs]


def test_lif_step_leak_forms_build_what_they_say():
    """leak="lut" builds no multiplier cell (its products are shifts and adds), leak="multiplier" builds one per
    lane step: the form is the board's choice (BoardSpec.leak), so it must not be swapped silently."""
    from amaranth.back import rtlil
    from sc_neurocore.hw.lif import LIFStep

    texts = {leak: rtlil.convert(LIFStep([230, 200], [256, 300], leak=leak)) for leak in ("lut", "multiplier")}
    assert "$mul" not in texts["lut"]
    assert "$mul" in texts["multiplier"]
