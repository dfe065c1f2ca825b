"""Unit testbenches: LFSR, Sobol source, SNG bank, SC dot product and LIF neuron against the NumPy model.

All units sit in one harness (:class:`UnitBench`: every port of every unit is a top-level
port named ``<unit>_<port>``), so one simulator build and one simulator process check them
all.  Each cocotb test below follows driver -> monitor -> model -> scoreboard: the driver
writes a unit's inputs at the falling edge, the monitor reads its outputs at the next
falling edge, the expected integers come from ``sc_neurocore.sc`` (``sources``,
``bitstream``, ``fixed``), and a :class:`~sc_neurocore.sim.scoreboard.Scoreboard`
compares them exactly.

Run: ``run_units(sim)`` (used by ``tests/sim/test_units.py`` and the regression).
``$SC_SIM_INJECT=<unit>`` corrupts one value the monitor read, to prove the scoreboard fails.
"""

from __future__ import annotations

import os
import random

import cocotb
import numpy as np

from ..sc.bitstream import apc_count, sng_bits
from ..sc.contract import ROLE_INPUT, ROLE_WEIGHT, SCConfig, current_scale
from ..sc.fixed import lif_step, scale_count
from ..sc.sources import lfsr_states, sobol_values, source_seed
from .scoreboard import Scoreboard
from .tb import reset, write_report

__all__ = ["UNITS", "make_unit_bench", "run_units"]

_CFG = SCConfig(seed=7)

#: The units and their parameters (the harness and the testbenches read this one table).
UNITS: dict[str, dict] = {
    "lfsr_f": dict(cls="LFSR", width=16, kind="fibonacci", steps=1, reciprocal=False,
                   seed=source_seed(_CFG, 0, ROLE_INPUT), out_bits=8, window=4),
    "lfsr_g": dict(cls="LFSR", width=9, kind="galois", steps=3, reciprocal=True, seed=0x15B, out_bits=8, window=3),
    "lfsr_s": dict(cls="LFSR", width=5, kind="fibonacci", steps=1, reciprocal=True, seed=1, out_bits=5, window=1),
    "sobol0": dict(cls="SobolSource", bits=8, dimension=0, mask=0x5A, window=4),
    "sobol1": dict(cls="SobolSource", bits=8, dimension=1, mask=source_seed(_CFG.replace(rng="sobol"), 1, ROLE_WEIGHT),
                   window=4),
    "sng": dict(cls="SNGBank", bits=8, lanes=8),
    "dot": dict(cls="SCDot", n_inputs=8, length=16, scale=current_scale(37.3, 16)),
    "dotsat": dict(cls="SCDot", n_inputs=8, length=16, scale=current_scale(411.0, 16)),
    "lif": dict(cls="LIFNeuron", beta_q=230, theta_q=256),
    "lifp": dict(cls="LIFNeuron", beta_q=None, theta_q=None),
}


def _make_unit(p: dict):
    from ..hw.lif import LIFNeuron
    from ..hw.rng import LFSR, SobolSource
    from ..hw.sc_dot import SCDot
    from ..hw.sng import SNGBank

    p = dict(p)
    cls = p.pop("cls")
    if cls == "LFSR":
        width = p.pop("width")
        return LFSR(width, **p)
    if cls == "SobolSource":
        return SobolSource(p["bits"], p["dimension"], mask=p["mask"], window=p["window"])
    if cls == "SNGBank":
        return SNGBank(p["bits"], p["lanes"])
    if cls == "SCDot":
        m, sh = p["scale"]
        return SCDot(p["n_inputs"], p["length"], m, sh)
    if cls == "LIFNeuron":
        return LIFNeuron(p["beta_q"], p["theta_q"])
    raise ValueError(cls)


def make_unit_bench(names=None):
    """The harness: each unit of :data:`UNITS` (or of ``names``) with its ports as ``<unit>_<port>``."""
    from amaranth.hdl import Module, Value
    from amaranth.lib import wiring
    from amaranth.lib.wiring import In, Out

    names = list(UNITS) if names is None else list(names)
    units = {n: _make_unit(UNITS[n]) for n in names}

    class UnitBench(wiring.Component):
        def __init__(self):
            members = {}
            for n, u in units.items():
                for pname, member in u.signature.members.items():
                    shape = member.shape
                    members[f"{n}_{pname}"] = (In if member.flow == wiring.In else Out)(shape)
            super().__init__(members)

        def elaborate(self, platform):
            m = Module()
            for n, u in units.items():
                m.submodules[n] = u
                for pname, member in u.signature.members.items():
                    outer = Value.cast(getattr(self, f"{n}_{pname}"))
                    inner = Value.cast(getattr(u, pname))
                    if member.flow == wiring.In:
                        m.d.comb += inner.eq(outer)
                    else:
                        m.d.comb += outer.eq(inner)
            return m

    return UnitBench()


# ------------------------------------------------------------------------------- cocotb side


def _inject(unit: str) -> bool:
    return os.environ.get("SC_SIM_INJECT", "") == unit


def _port(dut, unit, name):
    return getattr(dut, f"{unit}_{name}")


def _words(handle, count: int, width: int) -> np.ndarray:
    """A port that packs ``count`` unsigned ``width``-bit values (value 0 in the low bits), as an array."""
    from amaranth.hdl import unsigned
    from amaranth.lib import data

    from ..hw.ports import decode_words

    layout = data.StructLayout({"v": data.ArrayLayout(unsigned(width), count)})
    return decode_words(layout, [handle.value.to_unsigned()])["v"][0]


def _finish(sb: Scoreboard, unit: str, got: list) -> None:
    write_report({unit: sb.as_dict()})
    sb.check()


async def _check_lfsr(dut, unit: str) -> None:
    from cocotb.triggers import FallingEdge

    p = UNITS[unit]
    port = lambda n: _port(dut, unit, n)  # noqa: E731
    port("en").value = 0
    port("load").value = 0
    port("load_value").value = p["seed"]
    await reset(dut)
    small = p["width"] <= 8  # small state space: run the whole period with en held high
    n_win = (1 << p["width"]) // p["window"] + 4 if small else 64
    states = lfsr_states(p["seed"], p["width"], (n_win + 1) * p["window"], kind=p["kind"], steps=p["steps"],
                         reciprocal=p["reciprocal"])
    rng = random.Random(unit)
    pos, sb = 0, Scoreboard(unit)
    mask = (1 << p["out_bits"]) - 1
    exp_values, got_values, exp_state, got_state = [], [], [], []
    for i in range(n_win):
        await FallingEdge(dut.clk)
        got_values.append(_words(port("values"), p["window"], p["out_bits"]))
        got_state.append(port("state").value.to_unsigned())
        exp_values.append(np.asarray(states[pos * p["window"]:(pos + 1) * p["window"]], dtype=np.int64) & mask)
        exp_state.append(int(states[pos * p["window"]]))
        load = i == (n_win - 3 if small else n_win // 2)
        en = small or rng.random() < 0.8
        port("load").value = int(load)
        port("en").value = int(en)
        pos = 0 if load else pos + int(en)
    got_values = np.array(got_values)
    if _inject(unit):
        got_values[5, 0] ^= 1
    sb.compare("values", np.array(exp_values), got_values, axes=("window", "cycle"))
    sb.compare("state", exp_state, got_state, axes=("window",))
    if small:  # every state was visited
        assert len(set(got_state)) == (1 << p["width"]) - 1, f"{unit}: visited {len(set(got_state))} states"
    _finish(sb, unit, got_values)


async def _check_sobol(dut, unit: str) -> None:
    from cocotb.triggers import FallingEdge

    p = UNITS[unit]
    port = lambda n: _port(dut, unit, n)  # noqa: E731
    port("en").value = 0
    port("load").value = 0
    port("load_index").value = 0
    await reset(dut)
    rng = random.Random(unit)
    idx, sb = 0, Scoreboard(unit)
    exp, got = [], []
    modulus = 1 << p["bits"]
    for i in range(2 * modulus // p["window"] + 8):
        await FallingEdge(dut.clk)
        got.append(_words(port("values"), p["window"], p["bits"]))
        exp.append(sobol_values(p["window"], p["bits"], p["dimension"], mask=p["mask"], start=idx).astype(np.int64))
        load = i in (40, 97)
        en = rng.random() < 0.85
        value = rng.randrange(modulus)
        port("load").value = int(load)
        port("load_index").value = value
        port("en").value = int(en)
        idx = value if load else (idx + p["window"] * int(en)) % modulus
    got = np.array(got)
    if _inject(unit):
        got[3, 2] ^= 4
    sb.compare("values", np.array(exp), got, axes=("window", "cycle"))
    _finish(sb, unit, got)


async def _check_sng(dut, unit: str) -> None:
    from cocotb.triggers import FallingEdge

    p = UNITS[unit]
    port = lambda n: _port(dut, unit, n)  # noqa: E731
    rng = np.random.default_rng(3)
    n = 300
    rs = rng.integers(0, 1 << p["bits"], n)
    qs = rng.integers(0, 1 << p["bits"], (n, p["lanes"]))
    qs[::7] = rs[::7, None]  # equal r and q: the strict '<' boundary
    await FallingEdge(dut.clk)
    got = []
    for i in range(n):
        port("r").value = int(rs[i])
        port("q").value = sum(int(q) << (p["bits"] * j) for j, q in enumerate(qs[i]))
        await FallingEdge(dut.clk)
        got.append(_words(port("bits"), p["lanes"], 1))
    exp = np.stack([sng_bits(qs[i], rs[i : i + 1])[:, 0] for i in range(n)])
    got = np.array(got)
    if _inject(unit):
        got[11, 3] ^= 1
    sb = Scoreboard(unit)
    sb.compare("bits", exp, got, axes=("cycle", "lane"))
    _finish(sb, unit, got)


async def _check_dot(dut, unit: str) -> None:
    from cocotb.triggers import FallingEdge

    p = UNITS[unit]
    m, sh = p["scale"]
    port = lambda name: _port(dut, unit, name)  # noqa: E731
    n, L = p["n_inputs"], p["length"]
    rng = np.random.default_rng(5)
    port("en").value = 0
    port("clear").value = 0
    await reset(dut)
    sb = Scoreboard(unit)
    exp_c, got_c, exp_i, got_i = [], [], [], []
    for k in range(12):
        x = rng.integers(0, 2, (L, n))
        w = rng.integers(0, 2, (L, n))
        if k % 4 == 3:  # all ones: the largest counts (saturating currents in 'dotsat')
            x[:] = 1
            w[:] = 1
        sign = rng.integers(0, 2, n) if k % 4 != 3 else np.full(n, k % 8 == 3)
        en = rng.random(L) < 0.9
        en[0] = True
        bias = int(rng.integers(-32768, 32768)) if k % 3 == 0 else int(rng.integers(-300, 300))
        signs = np.where(sign == 1, -1, 1)
        port("sign").value = sum(int(s) << j for j, s in enumerate(sign))
        port("bias").value = bias
        for c in range(L):
            await FallingEdge(dut.clk)
            if c:  # monitor: count after cycle c-1
                got_c.append(port("count").value.to_signed())
                got_i.append(port("current").value.to_signed())
            port("clear").value = int(c == 0)
            port("en").value = int(en[c])
            port("x").value = sum(int(b) << j for j, b in enumerate(x[c]))
            port("w").value = sum(int(b) << j for j, b in enumerate(w[c]))
        await FallingEdge(dut.clk)
        got_c.append(port("count").value.to_signed())
        got_i.append(port("current").value.to_signed())
        port("en").value = 0
        port("clear").value = 0
        prod = (x & w) * en[:, None]  # (L, n)
        for c in range(L):
            cnt = int(apc_count(prod[: c + 1].T, signs))
            exp_c.append(cnt)
            exp_i.append(scale_count(cnt, m, sh, bias))
    got_c = np.array(got_c)
    if _inject(unit):
        got_c[20] += 1
    sb.compare("count", exp_c, got_c, axes=("cycle",))
    sb.compare("current", exp_i, got_i, axes=("cycle",))
    _finish(sb, unit, got_c)


async def _check_lif(dut, unit: str) -> None:
    from cocotb.triggers import FallingEdge

    p = UNITS[unit]
    port = lambda name: _port(dut, unit, name)  # noqa: E731
    rng = np.random.default_rng(11)
    port("en").value = 0
    port("reset").value = 0
    port("current").value = 0
    await reset(dut)
    sb = Scoreboard(unit)
    v = 0
    exp_v, got_v, exp_s, got_s = [], [], [], []
    beta, theta = p["beta_q"], p["theta_q"]
    for i in range(400):
        if p["beta_q"] is None:
            beta = int(rng.integers(0, 256)) if i % 50 == 0 else beta
            theta = int(rng.integers(1, 32768)) if i % 50 == 0 else theta
            port("beta").value = beta
            port("theta").value = theta
        cur = int(rng.choice([rng.integers(-32768, 32768), rng.integers(-400, 600), 32767, -32768]))
        en = rng.random() < 0.9
        rst = rng.random() < 0.03
        port("current").value = cur
        port("en").value = int(en)
        port("reset").value = int(rst)
        await FallingEdge(dut.clk)
        if rst:
            v, s = 0, 0
        elif en:
            vv, ss = lif_step(np.array([v]), np.array([cur]), beta, theta)  # (1,) arrays: see report on scalars
            v, s = int(vv[0]), int(ss[0])
        else:
            s = exp_s[-1] if exp_s else 0
        exp_v.append(v)
        exp_s.append(s)
        got_v.append(port("v").value.to_signed())
        got_s.append(int(port("spike").value))
    got_v = np.array(got_v)
    if _inject(unit):
        got_v[100] -= 1
    sb.compare("membrane", exp_v, got_v, axes=("step",))
    sb.compare("spike", exp_s, got_s, axes=("step",))
    _finish(sb, unit, got_v)


_CHECKS = {"LFSR": _check_lfsr, "SobolSource": _check_sobol, "SNGBank": _check_sng, "SCDot": _check_dot,
           "LIFNeuron": _check_lif}


@cocotb.test()
@cocotb.parametrize(unit=tuple(UNITS))
async def unit_matches_model(dut, unit: str):
    """One unit of :data:`UNITS` against its NumPy model (the harness holds them all)."""
    await _CHECKS[UNITS[unit]["cls"]](dut, unit)


# ------------------------------------------------------------------------------- host side


def run_units(sim: str | None = None, *, inject: str | None = None, check: bool = True, **build_kw):
    """Build the harness for ``sim`` and run every unit testbench; returns the :class:`RunResult`."""
    from . import runner

    design = runner.build(make_unit_bench, "unit_bench", sim=sim, key="unit_bench:" + repr(sorted(UNITS.items())),
                          **build_kw)
    env = {"SC_SIM_INJECT": inject} if inject else {}
    return design.run(__name__, extra_env=env, check=check)
