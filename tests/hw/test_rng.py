"""LFSR and SobolSource in Amaranth simulation against sc_neurocore.sc.sources, value for value."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator
from sc_neurocore.hw.rng import LFSR, SobolSource, contract_source, restart_port
from sc_neurocore.sc.contract import ROLE_INPUT, ROLE_WEIGHT, SCConfig
from sc_neurocore.sc.sources import lfsr_states, sobol_values, source_values


def _run(dut, n, port, *, window=False, load_at=None, load_value=None):
    """Read ``port`` (or every window value) for ``n`` enabled cycles."""
    out = []

    async def bench(ctx):
        ctx.set(dut.en, 1)
        for i in range(n):
            if load_at is not None and i == load_at:
                ctx.set(dut.en, 0)
                ctx.set(dut.load, 1)
                ctx.set(restart_port(dut), load_value)
                await ctx.tick()
                ctx.set(dut.load, 0)
                ctx.set(dut.en, 1)
            if window:
                out.extend(ctx.get(dut.values[c]) for c in range(dut.window))
            else:
                out.append(ctx.get(port))
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return np.array(out, dtype=np.uint64)


@pytest.mark.parametrize("kind", ["fibonacci", "galois"])
@pytest.mark.parametrize("width", range(4, 11))
def test_lfsr_all_states(kind, width):
    """Over the full period 2**n - 1 the hardware visits the model's states in the model's order."""
    n = (1 << width) - 1
    dut = LFSR(width, kind=kind, seed=1)
    got = _run(dut, n + 1, dut.state)
    want = lfsr_states(1, width, n + 1, kind=kind)
    np.testing.assert_array_equal(got, want)
    assert len(set(got[:n].tolist())) == n and got[n] == got[0]


@pytest.mark.parametrize("kind", ["fibonacci", "galois"])
@pytest.mark.parametrize("width,steps,reciprocal,seed", [(8, 3, False, 0x5A), (10, 7, True, 3), (10, 10, True, 0x2BC),
                                                       (9, 2, True, 1)])
def test_lfsr_steps_reciprocal(kind, width, steps, reciprocal, seed):
    n = (1 << width) - 1
    dut = LFSR(width, kind=kind, steps=steps, reciprocal=reciprocal, seed=seed, out_bits=min(width, 8))
    got = _run(dut, n, dut.value)
    want = lfsr_states(seed, width, n, kind=kind, steps=steps, reciprocal=reciprocal) & np.uint64((1 << min(width, 8)) - 1)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("kind", ["fibonacci", "galois"])
@pytest.mark.parametrize("width", [16, 24, 32])
def test_lfsr_long_run_wide(kind, width):
    dut = LFSR(width, kind=kind, steps=3, reciprocal=True, seed=0x1234567 & ((1 << width) - 1))
    got = _run(dut, 1000, dut.state)
    want = lfsr_states(dut.seed, width, 1000, kind=kind, steps=3, reciprocal=True)
    np.testing.assert_array_equal(got, want)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fibonacci", "galois"])
@pytest.mark.parametrize("width", range(11, 17))
def test_lfsr_all_states_slow(kind, width):
    n = (1 << width) - 1
    dut = LFSR(width, kind=kind, seed=1, reciprocal=True)
    got = _run(dut, n, dut.state)
    np.testing.assert_array_equal(got, lfsr_states(1, width, n, kind=kind, reciprocal=True))


@pytest.mark.parametrize("kind", ["fibonacci", "galois"])
def test_lfsr_window_and_load(kind):
    """A window of 5 cycles per clock equals 5 consecutive model values; load restarts."""
    dut = LFSR(10, kind=kind, steps=2, seed=77, out_bits=6, window=5)
    got = _run(dut, 40, None, window=True, load_at=20, load_value=77)
    want = lfsr_states(77, 10, 200, kind=kind, steps=2) & np.uint64(63)
    np.testing.assert_array_equal(got, np.concatenate([want[:100], want[:100]]))


@pytest.mark.parametrize("dim", [0, 1])
@pytest.mark.parametrize("bits,mask", [(1, 1), (4, 0), (8, 0xA7), (10, 0x155)])
def test_sobol(dim, bits, mask):
    n = min(2 * (1 << bits) + 3, 300)
    dut = SobolSource(bits, dim, mask=mask)
    np.testing.assert_array_equal(_run(dut, n, dut.value), sobol_values(n, bits, dim, mask=mask))


@pytest.mark.parametrize("dim", [0, 1])
def test_sobol_window_and_load(dim):
    dut = SobolSource(8, dim, mask=0x3C, window=16)
    got = _run(dut, 30, None, window=True, load_at=10, load_value=5)
    want = np.concatenate([sobol_values(160, 8, dim, mask=0x3C), sobol_values(320, 8, dim, mask=0x3C, start=5)])
    np.testing.assert_array_equal(got, want[:480])


@pytest.mark.parametrize("rng", ["lfsr", "sobol"])
@pytest.mark.parametrize("role", [ROLE_INPUT, ROLE_WEIGHT])
def test_contract_source(rng, role):
    cfg = SCConfig(rng=rng, seed=9, lfsr_kind="galois", lfsr_steps=3, length=4)
    src, restart = contract_source(cfg, 2, role, window=4)
    got = _run(src, 50, None, window=True)
    np.testing.assert_array_equal(got, source_values(cfg, 2, role, 200))
    assert restart == (src.seed if rng == "lfsr" else 0)


@pytest.mark.parametrize("kwargs,exc,text", [
    ({"width": 3}, ValueError, "3"), ({"width": 8, "kind": "x"}, ValueError, "'x'"),
    ({"width": 8, "steps": 9}, ValueError, "9"), ({"width": 8, "seed": 0}, ValueError, "0"),
    ({"width": 8, "out_bits": 9}, ValueError, "9"), ({"width": 8, "reciprocal": 1}, TypeError, "1"),
    ({"width": 8, "window": 0}, ValueError, "0"), ({"width": 8, "steps": 1.5}, TypeError, "1.5"),
])
def test_lfsr_bad_arguments_raise(kwargs, exc, text):
    with pytest.raises(exc, match=text):
        LFSR(**kwargs)


def test_sobol_bad_arguments_raise():
    with pytest.raises(ValueError, match="2"):
        SobolSource(8, 2)
    with pytest.raises(ValueError, match="256"):
        SobolSource(8, 0, mask=256)
    with pytest.raises(ValueError, match="33"):
        SobolSource(33, 0)
    with pytest.raises(TypeError, match="config"):
        contract_source("cfg", 0, 0)


@pytest.mark.parametrize("make", [lambda: LFSR(10, kind="fibonacci", seed=77, out_bits=6, window=5),
                                  lambda: SobolSource(8, 1, mask=0x3C, window=4)])
def test_value_is_the_first_cycle_of_the_window(make):
    """``value`` is the window's first random number (cycle 0), not its last."""
    dut = make()
    got = []

    async def bench(ctx):
        ctx.set(dut.en, 1)
        for _ in range(3):
            got.append((ctx.get(dut.value), ctx.get(dut.values[0]), ctx.get(dut.values[dut.window - 1])))
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert all(v == first for v, first, _ in got)
    assert any(first != last for _, first, last in got)
