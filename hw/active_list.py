"""The engine's active-input lists: which inputs of the layer being run are non-zero.

Two regions (ping-pong by layer parity): region ``l % 2`` holds layer ``l``'s list.  The input
loader appends the non-zero input codes of an image to region 0; the spike writeback appends
each hidden neuron that spiked at least once to the next layer's region; the count pipeline
reads a region entry by entry.  Model: ``np.flatnonzero(codes)`` (with the codes) for layer 0,
``np.flatnonzero(spikes.any(axis=0))`` for a spike layer (``hw.timing.active_inputs`` counts them).
"""

from __future__ import annotations

from amaranth.hdl import Array, Module, Signal, unsigned
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .plan import EngineSpec

__all__ = ["ActiveLists", "entry_layout", "list_control", "list_read_signature", "load_signature",
           "spike_list_signature"]


def entry_layout(spec: EngineSpec) -> data.StructLayout:
    """One list entry: the input's ``index`` and its ``code`` (0 for a spike layer's entries)."""
    return data.StructLayout({"index": unsigned(spec.index_bits), "code": unsigned(spec.config.prob_bits)})


def load_signature(spec: EngineSpec) -> stream.Signature:
    """Appends to the first layer's list (region 0), the writer's side: one entry per transfer; never waits."""
    return stream.Signature(entry_layout(spec), always_ready=True)


def spike_list_signature(spec: EngineSpec) -> stream.Signature:
    """Appends a neuron that spiked to a spike layer's list (the writer's side): its ``index`` into ``region``
    (the entry's code is 0); never waits."""
    return stream.Signature(data.StructLayout({"region": 1, "index": unsigned(spec.index_bits)}), always_ready=True)


def list_read_signature(spec: EngineSpec) -> wiring.Signature:
    """Reading the lists (the lists' side): ``addr`` in (``region * max_in + position``), ``data`` out a clock
    later, and the length of each region."""
    return wiring.Signature({
        "addr": In(range(2 * spec.max_in)),
        "data": Out(entry_layout(spec)),
        "count": Out(data.ArrayLayout(range(spec.max_in + 1), 2)),
    })


def list_control() -> wiring.Signature:
    """The sequencer's side: ``clear[r]`` empties region ``r`` at the clock edge."""
    return wiring.Signature({"clear": Out(2)})


class ActiveLists(wiring.Component):
    """Two active-input lists in one block RAM, with their lengths.

    Parameters
    ----------
    spec : EngineSpec

    Attributes
    ----------
    load : In(load_signature)
        Appends from the input loader, to region 0.
    spikes : In(spike_list_signature)
        Appends from the spike writeback (wins if both write in one clock; the engine never does).
    read : Out(list_read_signature)
        The count pipeline's read port (no enable: the data follows the address a clock later).
    control : In(list_control)

    Latency: an append is readable, and counted in ``read.count``, from the next clock.
    """

    def __init__(self, spec: EngineSpec):
        self.spec = spec
        super().__init__({
            "load": In(load_signature(spec)),
            "spikes": In(spike_list_signature(spec)),
            "read": Out(list_read_signature(spec)),
            "control": In(list_control()),
        })

    def elaborate(self, platform):
        m = Module()
        max_in = self.spec.max_in
        m.submodules.entries = mem = memory.Memory(shape=entry_layout(self.spec), depth=2 * max_in, init=[])
        rd, wr = mem.read_port(), mem.write_port()
        length = Array([Signal(range(max_in + 1), name=f"n_active_{r}") for r in range(2)])
        m.d.comb += [rd.addr.eq(self.read.addr), self.read.data.eq(rd.data)]
        m.d.comb += [self.read.count[r].eq(length[r]) for r in range(2)]
        spiked = Signal(entry_layout(self.spec))
        m.d.comb += spiked.index.eq(self.spikes.payload.index)
        for valid, region, entry in ((self.load.valid, 0, self.load.payload),
                                     (self.spikes.valid, self.spikes.payload.region, spiked)):
            with m.If(valid):
                m.d.comb += [wr.en.eq(1), wr.addr.eq(region * max_in + length[region]), wr.data.eq(entry)]
                m.d.sync += length[region].eq(length[region] + 1)
        for r in range(2):
            with m.If(self.control.clear[r]):
                m.d.sync += length[r].eq(0)
        return m
