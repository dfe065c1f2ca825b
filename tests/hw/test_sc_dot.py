"""SCDot (APC + scaling) against the signed count rule and sc_neurocore.sc.fixed.scale_count."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Module, Signal, signed
from amaranth.sim import Simulator
from hypothesis import given, settings
from hypothesis import strategies as st
from sc_neurocore.hw.sc_dot import SCDot, popcount, scale_current
from sc_neurocore.sc.contract import Q8_8, ROLE_INPUT, ROLE_WEIGHT, FixedPoint, SCConfig
from sc_neurocore.sc.fixed import scale_count
from sc_neurocore.sc.sources import source_values


def _dot_run(dut, x, w, sign, bias, windows):
    """Feed per-cycle bits; return (count, current) after each window of L cycles."""
    out = []

    async def bench(ctx):
        ctx.set(dut.bias, bias)
        ctx.set(dut.sign, int("".join(str(b) for b in sign[::-1]), 2))
        for k in range(windows):
            for c in range(dut.length):
                cyc = k * dut.length + c
                ctx.set(dut.clear, int(c == 0))
                ctx.set(dut.en, 1)
                ctx.set(dut.x, int("".join(str(int(b)) for b in x[cyc][::-1]), 2))
                ctx.set(dut.w, int("".join(str(int(b)) for b in w[cyc][::-1]), 2))
                await ctx.tick()
            ctx.set(dut.en, 0)
            ctx.set(dut.clear, 0)
            out.append((ctx.get(dut.count), ctx.get(dut.current)))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return out


@pytest.mark.parametrize("rng", ["lfsr", "sobol"])
@pytest.mark.parametrize("mult,shift,bias", [(1000, 10, 0), (40000, 8, -300), (65535, 1, 32000), (3, 12, -32768)])
def test_scdot_equals_model(rng, mult, shift, bias):
    cfg = SCConfig(rng=rng, seed=11, length=16)
    M, L, windows = 10, cfg.length, 4
    g = np.random.default_rng(mult)
    xq = g.integers(0, 256, M)
    wq = g.integers(-255, 256, M)
    wq[0], xq[1] = 0, 255
    rin = source_values(cfg, 0, ROLE_INPUT, L * windows).astype(np.int64)
    rw = source_values(cfg, 0, ROLE_WEIGHT, L * windows).astype(np.int64)
    x = rin[:, None] < xq[None, :]
    w = rw[:, None] < np.abs(wq)[None, :]
    sign = (wq < 0).astype(int)
    dut = SCDot(M, L, mult, shift)
    got = _dot_run(dut, x, w, sign, bias, windows)
    prod = (x & w) * np.where(wq < 0, -1, 1)[None, :]
    counts = prod.reshape(windows, L, M).sum(axis=(1, 2))
    want = [(int(c), scale_count(int(c), mult, shift, bias)) for c in counts]
    assert got == want


@settings(max_examples=60, deadline=None)
@given(count=st.integers(-(1 << 13), (1 << 13) - 1), mult=st.integers(0, (1 << 16) - 1), shift=st.integers(1, 40),
       bias=st.integers(Q8_8.min_int, Q8_8.max_int))
def test_scale_current_hypothesis(count, mult, shift, bias):
    assert _scale_hw(count, mult, shift, bias, Q8_8) == scale_count(count, mult, shift, bias)


def _scale_hw(count, mult, shift, bias, fmt):
    m = Module()
    c = Signal(signed(14))
    b = Signal(signed(fmt.width))
    out = Signal(signed(fmt.width))
    m.d.comb += out.eq(scale_current(c, mult, shift, b, fmt))
    res = []

    async def bench(ctx):
        ctx.set(c, count)
        ctx.set(b, bias)
        res.append(ctx.get(out))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    return res[0]


def test_scale_saturation_edges_other_format():
    fmt = FixedPoint(4, 6)
    for count, mult, shift, bias in [(8191, 65535, 1, 0), (-8192, 65535, 1, 0), (-8192, 65535, 1, fmt.max_int),
                                     (1, 1, 1, fmt.max_int), (-1, 1, 1, fmt.min_int), (0, 0, 1, -5), (-3, 1, 1, 0)]:
        assert _scale_hw(count, mult, shift, bias, fmt) == scale_count(count, mult, shift, bias, fmt)


def test_popcount():
    m = Module()
    v = Signal(23)
    out = Signal(8)
    m.d.comb += out.eq(popcount(v))
    vals = np.random.default_rng(0).integers(0, 1 << 23, 200).tolist() + [0, (1 << 23) - 1]
    bad = []

    async def bench(ctx):
        for x in vals:
            ctx.set(v, x)
            if ctx.get(out) != bin(x).count("1"):
                bad.append(x)

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert bad == []


@pytest.mark.parametrize("args,exc,text", [((0, 16, 1, 1), ValueError, "0"), ((4, 16, -1, 1), ValueError, "-1"),
                                           ((4, 16, 1, 0), ValueError, "0"), ((4, "16", 1, 1), TypeError, "'16'")])
def test_bad_arguments_raise(args, exc, text):
    with pytest.raises(exc, match=text):
        SCDot(*args)


@pytest.mark.parametrize("negative", [False, True])
def test_count_at_full_scale_and_clear_alone(negative):
    """3 lanes x 5 cycles, every product bit 1: the count reaches n * L = 15 (or -15), the edge of its
    count_width(3, 5) = 5 signed bits; a clear without en sets it to 0."""
    dut = SCDot(3, 5, 1, 1)
    assert dut.count_width == 5
    got = []

    async def bench(ctx):
        ctx.set(dut.sign, 0b111 if negative else 0)
        ctx.set(dut.x, 0b111)
        ctx.set(dut.w, 0b111)
        for c in range(5):
            ctx.set(dut.clear, int(c == 0))
            ctx.set(dut.en, 1)
            await ctx.tick()
        ctx.set(dut.en, 0)
        ctx.set(dut.clear, 0)
        got.append(ctx.get(dut.count))
        ctx.set(dut.clear, 1)
        await ctx.tick()
        got.append(ctx.get(dut.count))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert got == [-15 if negative else 15, 0]


def test_empty_sums_are_zero():
    from sc_neurocore.hw.sc_dot import sum_tree

    m = Module()
    a, b = Signal(4), Signal(4)
    m.d.comb += [a.eq(popcount([])), b.eq(sum_tree([]))]
    got = []

    async def bench(ctx):
        got.append((ctx.get(a), ctx.get(b)))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert got == [(0, 0)]
