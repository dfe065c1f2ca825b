"""Sequencer: load -> start -> each layer (start, wait for every part idle) -> output -> load, clock by clock."""

from __future__ import annotations

from amaranth.sim import Simulator
from sc_neurocore.hw.plan import EngineSpec
from sc_neurocore.hw.sequencer import Sequencer
from sc_neurocore.sc.contract import SCConfig

from .reference import random_qnet


def test_sequence_of_one_image():
    qnet = random_qnet([4, 6, 5, 3], SCConfig(length=4), seed=1)
    dut = Sequencer(EngineSpec.of(qnet, 2))
    log = []

    async def bench(ctx):
        ctx.set(dut.unit.idle, 1)

        def row(cyc):
            return (cyc, ctx.get(dut.loader.en), ctx.get(dut.output.clear), ctx.get(dut.pipeline.start),
                    ctx.get(dut.pipeline.layer), ctx.get(dut.lists.clear), ctx.get(dut.output.start))

        cyc = 0
        for cyc in range(3):  # loading
            ctx.set(dut.loader.done, int(cyc == 2))
            log.append(row(cyc))
            await ctx.tick()
        ctx.set(dut.loader.done, 0)
        busy_until = {}
        while len(log) < 40:
            cyc += 1
            if ctx.get(dut.pipeline.start):
                busy_until[ctx.get(dut.pipeline.layer)] = cyc + 4  # the layer's parts work for 4 clocks
            layer = ctx.get(dut.pipeline.layer)
            busy = cyc < busy_until.get(layer, 0)
            ctx.set(dut.pipeline.busy, int(busy and cyc % 2 == 0))
            ctx.set(dut.writeback.busy, int(busy and cyc % 2 == 1))
            ctx.set(dut.output.done, int(cyc == 30))
            log.append(row(cyc))
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    starts = [(c, layer, clear) for c, _, _, start, layer, clear, _ in log if start]
    assert [c for c, en, *_ in log if en and c < 3] == [0, 1, 2]  # LOAD: loader enabled
    assert [c for c, _, clr, *rest in log if clr] == [3]  # START clears the class counters
    # LAYER_START one clock after START; each layer's parts are busy for 4 clocks from its start, the
    # sequencer sees it done in the 5th and starts the next layer in the 6th
    assert starts == [(4, 0, 0b10), (9, 1, 0b01), (14, 2, 0b10)]
    assert [c for c, *rest in log if rest[-1]] == [18]  # the last layer done: the argmax scan starts
    assert [c for c, _, _, _, _, clear, _ in log if clear == 0b01 and c > 20] == [30]  # result taken: list 0 emptied
    assert [c for c, en, *_ in log if en and c > 3] == list(range(31, 40))  # and loading again
