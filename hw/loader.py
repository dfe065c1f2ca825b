"""The engine's input loader: takes an image's codes and lists the non-zero ones.

Model: the first layer's active list is ``[(i, xq[i]) for i in np.flatnonzero(xq)]`` (in input order).
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .active_list import load_signature
from .plan import EngineSpec

__all__ = ["InputLoader", "loader_control"]


def loader_control() -> wiring.Signature:
    """The sequencer's side: ``en`` while loading; ``done`` in the clock that takes the image's last code."""
    return wiring.Signature({"en": Out(1), "done": In(1)})


class InputLoader(wiring.Component):
    """Input codes in, the image's active list out.

    Parameters
    ----------
    spec : EngineSpec

    Attributes
    ----------
    i : In(stream.Signature(unsigned(prob_bits)))
        ``n_input`` codes per image, in input order; ready while ``control.en``.
    append : Out(load_signature)
        Each non-zero code, with its index, to list region 0.
    control : In(loader_control)

    Latency: one code per clock (``n_input`` clocks per image with the input always valid).
    """

    def __init__(self, spec: EngineSpec):
        self.spec = spec
        super().__init__({
            "i": In(stream.Signature(unsigned(spec.config.prob_bits))),
            "append": Out(load_signature(spec)),
            "control": In(loader_control()),
        })

    def elaborate(self, platform):
        m = Module()
        index = Signal(self.spec.index_bits)
        entry = self.append.payload
        m.d.comb += self.i.ready.eq(self.control.en)
        with m.If(self.control.en & self.i.valid):
            with m.If(self.i.payload != 0):
                m.d.comb += [self.append.valid.eq(1), entry.index.eq(index), entry.code.eq(self.i.payload)]
            with m.If(index == self.spec.qnet.n_input - 1):
                m.d.sync += index.eq(0)
                m.d.comb += self.control.done.eq(1)
            with m.Else():
                m.d.sync += index.eq(index + 1)
        return m
