"""The engine's spike writeback: a hidden layer's spikes into the spike memory and the next active list.

Model: the spikes of hidden layer ``l`` as ``SCNetwork.run_codes(trace=True).spikes[l]`` holds
them, one word per neuron (bit ``t``: the spike at timestep ``t``), and the next layer's active
list ``np.flatnonzero(spikes[l].any(axis=0))`` in neuron order.  A spike-input net's input words
(``sc.network.spike_words``) are written at LOAD into region 1, which layer 0 reads.
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Const, Module, Signal, unsigned
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .active_list import spike_list_signature
from .loader import spike_load_signature
from .plan import EngineSpec

__all__ = ["SpikeWriteback", "hand_layout", "spike_read_signature", "writeback_control"]


def hand_layout(spec: EngineSpec) -> data.StructLayout:
    """One neuron group's spikes over one pass: ``spikes[p]`` bit ``q`` = lane ``p`` at timestep
    ``pass_ * tlanes + q``; ``fired[p]``: lane ``p`` spiked in an earlier pass of this image or this one."""
    return data.StructLayout({
        "layer": spec.layer_shape,
        "group": spec.group_shape,
        "pass_": spec.pass_shape,
        "spikes": data.ArrayLayout(unsigned(spec.tlanes), spec.lanes),
        "fired": unsigned(spec.lanes),
    })


def spike_read_signature(spec: EngineSpec) -> memory.ReadPort.Signature:
    """The spike memory's read port: row ``region * max_hidden + neuron``, bits ``pass * tlanes + q``."""
    return memory.ReadPort.Signature(addr_width=(2 * spec.max_hidden - 1).bit_length(),
                                     shape=spec.passes * spec.tlanes)


def writeback_control() -> wiring.Signature:
    """The sequencer's side: ``busy`` while a group is being written."""
    return wiring.Signature({"busy": In(1)})


class SpikeWriteback(wiring.Component):
    """Spike memory (two regions, ping-pong by layer parity) and its writer (nets with hidden layers or a
    spike-input first layer).

    Parameters
    ----------
    spec : EngineSpec

    Attributes
    ----------
    hand : In(stream.Signature(hand_layout))
        A group's spikes of one pass, from the neuron unit; ready while idle.
    append : Out(spike_list_signature)
        After a group's last pass, each neuron that spiked, to the next layer's list region.
    read : Out(spike_read_signature)
        The count pipeline's read port (no enable).
    control : In(writeback_control)
    load : In(spike_load_signature)   (spike-input nets only)
        The input loader's spike words, written to region 1 (row = input index) in the clock they arrive
        (the engine loads an image only while no group is being written).

    Latency: one clock per neuron of the group (``min(lanes, n_out - group * lanes)``) after the hand-off.
    """

    def __init__(self, spec: EngineSpec):
        self.spec = spec
        members = {
            "hand": In(stream.Signature(hand_layout(spec))),
            "append": Out(spike_list_signature(spec)),
            "read": Out(spike_read_signature(spec)),
            "control": In(writeback_control()),
        }
        if spec.spike_input:
            members["load"] = In(spike_load_signature(spec))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        spec = self.spec
        P, TL, passes, max_hid = spec.lanes, spec.tlanes, spec.passes, spec.max_hidden
        m.submodules.spikes = mem = memory.Memory(shape=passes * TL, depth=2 * max_hid, init=[])
        wiring.connect(m, wiring.flipped(self.read), mem.read_port())
        wr = mem.write_port(granularity=TL)

        busy = Signal()
        held = Signal(hand_layout(spec))  # the group being written
        lane = Signal(range(max(P, 2)))
        m.d.comb += [self.control.busy.eq(busy), self.hand.ready.eq(~busy)]
        with m.If(self.hand.valid & ~busy):
            m.d.sync += [busy.eq(1), lane.eq(0), held.eq(self.hand.payload)]

        n_out_of = Array([Const(pl.n_out, range(spec.max_out + 1)) for pl in spec.plans])
        neuron = Signal(range(max_hid + P + 1))
        m.d.comb += neuron.eq(held.group * P + lane)
        word = Signal(TL)
        m.d.comb += word.eq(held.spikes[lane])
        m.d.comb += [wr.addr.eq(held.layer[0] * max_hid + neuron), wr.data.eq(Cat(*[word] * passes))]
        with m.If(busy):
            with m.If(neuron < n_out_of[held.layer]):
                m.d.comb += wr.en.eq(1 << held.pass_)
                with m.If((held.pass_ == passes - 1) & held.fired.bit_select(lane, 1)):
                    m.d.comb += [self.append.valid.eq(1), self.append.payload.region.eq(~held.layer[0]),
                                 self.append.payload.index.eq(neuron)]
            with m.If((lane == P - 1) | (neuron + 1 >= n_out_of[held.layer])):
                m.d.sync += busy.eq(0)
            with m.Else():
                m.d.sync += lane.eq(lane + 1)
        if spec.spike_input:  # an input's spike word, whole (every pass's slice), into region 1
            with m.If(self.load.valid):
                m.d.comb += [wr.addr.eq(max_hid + self.load.payload.index), wr.data.eq(self.load.payload.word),
                             wr.en.eq((1 << passes) - 1)]
        return m
