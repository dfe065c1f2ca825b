"""The engine's input loader: takes an image's codes (or spike words) and lists the non-zero ones.

Model: the first layer's active list is ``[(i, xq[i]) for i in np.flatnonzero(xq)]`` (in input order).  A
spike-input net's words (bit ``t``: the input's spike at timestep ``t``) also go to the spike memory's region 1,
row ``i``, where layer 0 reads them as a hidden layer reads the spikes of the layer before; their list entries
carry code 0 (``np.flatnonzero(words)``: the inputs that spike at least once in the image).
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from .active_list import load_signature
from .plan import EngineSpec

__all__ = ["InputLoader", "loader_control", "spike_load_signature"]


def spike_load_signature(spec: EngineSpec) -> stream.Signature:
    """An input word to the spike memory (the loader's side): ``index``, ``word`` (a spike-input net's T bits, or a
    first conv layer's code, which it reads by position); never waits."""
    return stream.Signature(data.StructLayout({"index": unsigned(spec.index_bits),
                                               "word": unsigned(spec.input_bits)}), always_ready=True)


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
    i : In(stream.Signature(unsigned(spec.input_bits)))
        ``n_input`` codes (spike words for a spike-input net) per image, in input order; ready while
        ``control.en``.
    append : Out(load_signature)
        Each non-zero code, with its index, to list region 0 (a spike word's entry has code 0).
    spikes : Out(spike_load_signature)   (spike-input nets, and nets whose first layer is a conv layer)
        Every spike word (or code), with its index, to the spike memory.
    control : In(loader_control)

    Latency: one code per clock (``n_input`` clocks per image with the input always valid).
    """

    def __init__(self, spec: EngineSpec):
        self.spec = spec
        members = {
            "i": In(stream.Signature(unsigned(spec.input_bits))),
            "append": Out(load_signature(spec)),
            "control": In(loader_control()),
        }
        if spec.loads_spike_memory:
            members["spikes"] = Out(spike_load_signature(spec))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        index = Signal(self.spec.index_bits)
        entry = self.append.payload
        m.d.comb += self.i.ready.eq(self.control.en)
        with m.If(self.control.en & self.i.valid):
            with m.If(self.i.payload != 0):
                m.d.comb += [self.append.valid.eq(1), entry.index.eq(index)]
                if not self.spec.spike_input:
                    m.d.comb += entry.code.eq(self.i.payload)
            if self.spec.loads_spike_memory:
                m.d.comb += [self.spikes.valid.eq(1), self.spikes.payload.index.eq(index),
                             self.spikes.payload.word.eq(self.i.payload)]
            with m.If(index == self.spec.qnet.n_input - 1):
                m.d.sync += index.eq(0)
                m.d.comb += self.control.done.eq(1)
            with m.Else():
                m.d.sync += index.eq(index + 1)
        return m
