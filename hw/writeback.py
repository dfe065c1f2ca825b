"""The engine's spike writeback: a hidden layer's spikes into the spike memory and the next active list.

Model: the spikes of hidden layer ``l`` as ``SCNetwork.run_codes(trace=True).spikes[l]`` holds
them, one word per neuron (bit ``t``: the spike at timestep ``t``), and the next layer's active
list ``np.flatnonzero(spikes[l].any(axis=0))`` in neuron order.  A spike-input net's input words
(``sc.network.spike_words``) are written at LOAD into region 1, which layer 0 reads.
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .active_list import spike_list_signature
from .loader import spike_load_signature
from .plan import EngineSpec

__all__ = ["SpikeWriteback", "hand_layout", "own_list_signature", "spike_read_signature", "writeback_control"]


def hand_layout(spec: EngineSpec) -> data.StructLayout:
    """One neuron group's spikes over one pass: ``spikes[p]`` bit ``q`` = lane ``p`` at timestep
    ``pass_ * tlanes + q``; ``fired[p]``: lane ``p`` spiked in an earlier pass of this image or this one; a conv
    net's groups also carry ``grp`` (``hw.count_pipeline.group_layout``: where the lanes' outputs go)."""
    fields = {
        "layer": spec.layer_shape,
        "group": spec.group_shape,
        "pass_": spec.pass_shape,
        "spikes": data.ArrayLayout(unsigned(spec.tlanes), spec.lanes),
        "fired": unsigned(spec.lanes),
    }
    if spec.has_conv:
        from .count_pipeline import group_layout

        fields["grp"] = group_layout(spec)
    return data.StructLayout(fields)


def spike_read_signature(spec: EngineSpec) -> memory.ReadPort.Signature:
    """The spike memory's read port: row ``region * max_hidden + neuron``, bits ``pass * tlanes + q``."""
    return memory.ReadPort.Signature(addr_width=(2 * spec.max_hidden - 1).bit_length(),
                                     shape=spec.spike_word_bits)


def own_list_signature(spec: EngineSpec) -> wiring.Signature:
    """A recurrent layer's lists of its own spikes (the writeback's side): region ``r`` holds the neurons that
    spiked at the last timestep of parity ``r`` written, in neuron order, each as its weight row in the group's
    block, ``n_in + j`` (so that the pipeline adds no offset between the list's output and the weight address);
    ``addr`` in (``region * max_hidden + position``), the entry's ``data`` out a clock later, and each region's
    ``count``."""
    return wiring.Signature({
        "addr": In(range(2 * spec.max_hidden)),
        "data": Out(range(spec.max_items)),
        "count": Out(data.ArrayLayout(range(spec.max_hidden + 1), 2)),
    })


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
    own : Out(own_list_signature)   (nets with a recurrent layer only)
        The count pipeline's read port of the recurrent layer's own-spike lists: the writeback lists each neuron of
        a recurrent layer that spiked at timestep ``t`` in region ``t % 2`` (emptied when the timestep's first group
        is handed over: the blocks of ``t`` read region ``(t - 1) % 2``).
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
        if spec.loads_spike_memory:
            members["load"] = In(spike_load_signature(spec))
        if spec.has_recurrent:
            members["own"] = Out(own_list_signature(spec))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        spec = self.spec
        P, TL, passes, max_hid = spec.lanes, spec.tlanes, spec.passes, spec.max_hidden
        m.submodules.spikes = mem = memory.Memory(shape=spec.spike_word_bits, depth=2 * max_hid, init=[])
        wiring.connect(m, wiring.flipped(self.read), mem.read_port())
        wr = mem.write_port(granularity=TL)

        busy = Signal()
        held = Signal(hand_layout(spec))  # the group being written
        lane = Signal(range(max(P, 2)))
        m.d.comb += [self.control.busy.eq(busy), self.hand.ready.eq(~busy)]
        with m.If(self.hand.valid & ~busy):
            m.d.sync += [busy.eq(1), lane.eq(0), held.eq(self.hand.payload)]

        if spec.has_conv:
            self._pooled(m, wr, busy, held, lane)
        else:
            n_out_of = Array([Const(pl.n_out, range(spec.max_out + 1)) for pl in spec.plans])
            neuron = Signal(range(max_hid + P + 1))
            m.d.comb += neuron.eq(held.group * P + lane)
            word = Signal(TL)
            m.d.comb += word.eq(held.spikes[lane])
            m.d.comb += [wr.addr.eq(held.layer[0] * max_hid + neuron), wr.data.eq(Cat(*[word] * passes))]
            if spec.has_recurrent:
                self._own_lists(m, busy, held, lane, neuron, n_out_of)
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
        if spec.loads_spike_memory:  # an input's spike word (or a first conv layer's code), whole, into region 1
            with m.If(self.load.valid):
                m.d.comb += [wr.addr.eq(max_hid + self.load.payload.index), wr.data.eq(self.load.payload.word),
                             wr.en.eq((1 << wr.en.shape().width) - 1)]
        return m

    def _own_lists(self, m, busy, held, lane, neuron, n_out_of):
        """The own-spike lists of a recurrent layer (one timestep per pass, ``tlanes`` 1): while a group of timestep
        ``t`` is written, each of its neurons ``j`` that spiked is appended to region ``t % 2`` as its weight row
        ``n_in + j``; the timestep's first group empties the region as it is handed over."""
        spec = self.spec
        max_hid = spec.max_hidden
        m.submodules.own = mem = memory.Memory(shape=range(spec.max_items), depth=2 * max_hid, init=[])
        n_in = Array([Const(pl.n_in, range(spec.max_items)) for pl in spec.plans])[held.layer]
        rd, wr = mem.read_port(), mem.write_port()
        count = Array([Signal(range(max_hid + 1), name=f"n_own_{r}") for r in range(2)])
        m.d.comb += [rd.addr.eq(self.own.addr), self.own.data.eq(rd.data)]
        m.d.comb += [self.own.count[r].eq(count[r]) for r in range(2)]
        rec = Array([Const(int(pl.recurrent), 1) for pl in spec.plans])
        new = self.hand.payload
        with m.If(self.hand.valid & ~busy & rec[new.layer] & (new.group == 0)):
            m.d.sync += count[new.pass_[0]].eq(0)
        region = held.pass_[0]
        with m.If(busy & rec[held.layer] & (neuron < n_out_of[held.layer]) & held.spikes[lane][0]):
            m.d.comb += [wr.en.eq(1), wr.addr.eq(region * max_hid + count[region]), wr.data.eq(n_in + neuron)]
            m.d.sync += count[region].eq(count[region] + 1)

    def _pooled(self, m, wr, busy, held, lane):
        """A conv net's writer: lane ``p``'s output goes to row ``out0 + p * out_stride`` of the next region; a conv
        layer's groups come window by window of its pooling, so each lane ORs its spikes into an accumulator that
        the window's first group clears, and every group writes the window's OR so far (the last write holds the
        whole window: ``sc.conv.or_pool``); the pooled value joins the next list after the window's last group,
        if it spiked.  Dense groups (``out_stride`` 1, every group a window of one) write their own spikes.  A group
        that does not close its window only ORs its lanes into their accumulators, all in the clock it is handed
        over (no row is read before the window's last group writes it: the next layer runs after this one)."""
        spec = self.spec
        P, TL, passes, max_hid = spec.lanes, spec.tlanes, spec.passes, spec.max_hidden
        stride = Array([Const(1 if pl.conv is None else pl.conv.pooled_height * pl.conv.pooled_width,
                              range(spec.max_hidden + 1)) for pl in spec.plans])[held.layer]
        accs = [Signal(passes * TL, name=f"pool_{p}") for p in range(P)]
        pools = [Signal(name=f"pool_fired_{p}") for p in range(P)]
        acc, pooled = Array(accs), Array(pools)
        out = Signal(range(2 * max_hid + P * max_hid + 1))
        m.d.comb += out.eq(held.grp.out0 + lane * stride)
        old = Mux(held.grp.wfirst, 0, acc[lane].word_select(held.pass_, TL))
        word = Signal(TL)
        m.d.comb += word.eq(old | held.spikes[lane])
        fired = Mux(held.grp.wfirst, 0, pooled[lane]) | held.fired.bit_select(lane, 1)
        m.d.comb += [wr.addr.eq(held.layer[0] * max_hid + out), wr.data.eq(Cat(*[word] * passes))]
        with m.If(busy):
            with m.If(lane < held.grp.valid):
                m.d.comb += wr.en.eq(1 << held.pass_)
                for p in range(P):
                    with m.If(lane == p):
                        m.d.sync += accs[p].word_select(held.pass_, TL).eq(word)
                        with m.If(held.pass_ == passes - 1):
                            m.d.sync += pools[p].eq(fired)
                with m.If(held.pass_ == passes - 1):
                    with m.If(held.grp.wlast & fired):
                        m.d.comb += [self.append.valid.eq(1), self.append.payload.region.eq(~held.layer[0]),
                                     self.append.payload.index.eq(out)]
            with m.If((lane == P - 1) | (lane + 1 >= held.grp.valid)):
                m.d.sync += busy.eq(0)
            with m.Else():
                m.d.sync += lane.eq(lane + 1)
        new = self.hand.payload
        with m.If(self.hand.valid & ~busy & ~new.grp.wlast):  # inside a window: every lane ORs at once
            m.d.sync += busy.eq(0)
            for p in range(P):
                old_p = Mux(new.grp.wfirst, 0, accs[p].word_select(new.pass_, TL))
                m.d.sync += accs[p].word_select(new.pass_, TL).eq(old_p | new.spikes[p])
                with m.If(new.pass_ == passes - 1):
                    m.d.sync += pools[p].eq(Mux(new.grp.wfirst, 0, pools[p]) | new.fired[p])
