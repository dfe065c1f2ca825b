"""The engine's active-input lists: which inputs of the layer being run are non-zero.

Two regions (ping-pong by layer parity): region ``l % 2`` holds layer ``l``'s list.  The input
loader appends the non-zero input codes of an image to region 0; the spike writeback appends
each hidden neuron that spiked at least once to the next layer's region; the count pipeline
reads a region entry by entry.  Model: ``np.flatnonzero(codes)`` (with the codes) for layer 0,
``np.flatnonzero(spikes.any(axis=0))`` for a spike layer (``hw.timing.active_inputs`` counts them).

A conv net also keeps each list as a *bit set*: ``active_r`` bit ``i`` is 1 while input ``i`` is in region
``r``'s list (set by the append, cleared with the region), for the inputs of the conv layers that read region
``r``; a conv layer's walk reads it to skip the taps whose input is silent (``hw/count_pipeline.py``).
Model: ``codes != 0`` (a first layer), ``or_pool(spikes.any(axis=0))`` (a conv layer's pooled spikes).
"""

from __future__ import annotations

from amaranth.hdl import Array, Module, Signal, unsigned
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .plan import EngineSpec

__all__ = ["ActiveLists", "active_bits", "entry_layout", "list_control", "list_read_signature", "load_signature",
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


def active_bits(spec: EngineSpec) -> tuple[int, int]:
    """Bits of each region's bit set: the widest input of a conv layer that reads the region (layer ``l`` reads
    region ``l % 2``), 0 if none does."""
    return tuple(max([pl.n_in for li, pl in enumerate(spec.plans) if pl.conv is not None and li % 2 == r],
                     default=0) for r in range(2))


def list_read_signature(spec: EngineSpec) -> wiring.Signature:
    """Reading the lists (the lists' side): ``addr`` in (``region * max_in + position``), ``data`` out a clock
    later, and the length of each region; a conv net's bit sets ``active_0``/``active_1`` (:func:`active_bits`
    wide; bit ``i``: input ``i`` is listed)."""
    members = {
        "addr": In(range(2 * spec.max_in)),
        "data": Out(entry_layout(spec)),
        "count": Out(data.ArrayLayout(range(spec.max_in + 1), 2)),
    }
    if spec.has_conv:
        members.update({f"active_{r}": Out(max(n, 1)) for r, n in enumerate(active_bits(spec))})
    return wiring.Signature(members)


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
        if self.spec.has_conv:
            self._bit_sets(m, spiked)
        return m

    def _bit_sets(self, m, spiked):
        """A conv net's lists as bit sets (a register per listed input of a conv layer): an append sets its bit a
        clock after it is listed (the append is registered first: the writer's index is a sum and a product, and
        its decoder reaches every bit), a clear empties the region.  A bit set is read from the next layer's start,
        at least two clocks after the layer's last append; a region is cleared only when no append to it is on
        its way (the clear wins)."""
        for r, n in enumerate(active_bits(self.spec)):
            if not n:
                continue
            bits_r = Signal(n, name=f"active_{r}")
            m.d.comb += getattr(self.read, f"active_{r}").eq(bits_r)
            appends = [(self.spikes.valid & (self.spikes.payload.region == r), spiked.index)]
            if r == 0:
                appends.append((self.load.valid, self.load.payload.index))
            for k, (valid, index) in enumerate(appends):
                set_, at = Signal(name=f"set_{r}_{k}"), Signal.like(index, name=f"set_index_{r}_{k}", reset_less=True)
                m.d.sync += [set_.eq(valid & (index < n)), at.eq(index)]
                with m.If(set_):
                    m.d.sync += bits_r.bit_select(at, 1).eq(1)
            with m.If(self.control.clear[r]):
                m.d.sync += bits_r.eq(0)
