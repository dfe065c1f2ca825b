"""SNG and SNGBank against the contract's rule ``bit = r < q``, fed by the contract's sources."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Module
from amaranth.sim import Simulator
from sc_neurocore.hw.rng import contract_source
from sc_neurocore.hw.sng import SNG, SNGBank
from sc_neurocore.sc.contract import ROLE_INPUT, SCConfig
from sc_neurocore.sc.sources import source_values


def test_sng_all_pairs_4bit():
    dut = SNG(4)
    bad = []

    async def bench(ctx):
        for r in range(16):
            for q in range(16):
                ctx.set(dut.r, r)
                ctx.set(dut.q, q)
                if ctx.get(dut.bit) != int(r < q):
                    bad.append((r, q))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    assert bad == []


@pytest.mark.parametrize("rng", ["lfsr", "sobol"])
def test_bank_shares_the_layer_source(rng):
    """A bank of 12 lanes driven by the layer-0 input source equals the model's bitstreams."""
    cfg = SCConfig(rng=rng, seed=4, length=16)
    lanes, n = 12, 64
    codes = np.random.default_rng(1).integers(0, cfg.prob_max + 1, lanes)
    codes[0], codes[1] = 0, cfg.prob_max
    m = Module()
    src, _ = contract_source(cfg, 0, ROLE_INPUT)
    bank = SNGBank(cfg.prob_bits, lanes)
    m.submodules.src, m.submodules.bank = src, bank
    m.d.comb += [bank.r.eq(src.value), src.en.eq(1)]
    m.d.comb += [bank.q[i].eq(int(c)) for i, c in enumerate(codes)]
    got = []

    async def bench(ctx):
        for _ in range(n):
            got.append([(ctx.get(bank.bits) >> i) & 1 for i in range(lanes)])
            await ctx.tick()

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    r = source_values(cfg, 0, ROLE_INPUT, n).astype(np.int64)
    want = (r[:, None] < codes[None, :]).astype(int)
    np.testing.assert_array_equal(np.array(got), want)
    assert want[:, 0].sum() == 0


@pytest.mark.parametrize("args,exc", [((0,), ValueError), ((True,), TypeError), ((8, 0), ValueError),
                                      ((8, 2.0), TypeError)])
def test_bad_arguments_raise(args, exc):
    with pytest.raises(exc, match=str(args[-1])):
        SNGBank(*args) if len(args) == 2 else SNG(*args)
