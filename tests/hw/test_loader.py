"""InputLoader against its model: the non-zero codes of an image, with their indices, in input order."""

from __future__ import annotations

import numpy as np
from amaranth.sim import Simulator
from sc_neurocore.hw.loader import InputLoader
from sc_neurocore.hw.plan import EngineSpec
from sc_neurocore.sc.contract import SCConfig

from .reference import random_qnet


def test_loader_lists_nonzero_codes_and_ends_each_image():
    qnet = random_qnet([9, 4], SCConfig(length=4), seed=1)
    dut = InputLoader(EngineSpec.of(qnet, 3))
    rng = np.random.default_rng(2)  # seed 2: codes and valid gaps
    images = rng.integers(0, 256, (3, 9))
    images[rng.random(images.shape) < 0.4] = 0
    images[1] = 0
    flat = [int(c) for c in images.reshape(-1)]
    appended, done_at, accepted = [], [], []

    async def bench(ctx):
        n, cyc = 0, 0
        while n < len(flat):
            en = int(cyc % 13 != 5)  # the sequencer leaves LOAD now and then
            valid = int(rng.random() < 0.7)
            ctx.set(dut.control.en, en)
            ctx.set(dut.i.valid, valid)
            ctx.set(dut.i.payload, flat[n])
            assert ctx.get(dut.i.ready) == en
            if ctx.get(dut.append.valid):
                p = ctx.get(dut.append.payload)
                appended.append((n, int(p.index), int(p.code)))
            if ctx.get(dut.control.done):
                done_at.append(n)
            if en and valid:
                accepted.append(n)
                n += 1
            await ctx.tick()
            cyc += 1

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert accepted == list(range(len(flat)))
    assert done_at == [8, 17, 26]  # the clock that takes each image's last code
    want = [(b * 9 + i, i, int(images[b, i])) for b in range(3) for i in np.flatnonzero(images[b])]
    assert appended == want
