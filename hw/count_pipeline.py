"""The engine's count pipeline: a layer's signed SC counts, ``lanes`` neurons x ``tlanes`` timesteps per item.

Model: ``SCTrace.sc_counts`` of ``SCNetwork.run_codes(xq, T, trace=True)``:
``C[j, t] = sum_i sign_ij * popcount_c([r_in,t,c < x_i] & [r_w,t,c < |w_ij|])`` over the layer's
active inputs ``i`` (a spike layer's input bit is the spike ``s_i[t]`` in every cycle ``c``).

For each neuron group ``g`` (``lanes`` neurons) and pass ``p`` (timesteps ``p*tlanes ..``), a
*block* streams the layer's active list through six stages, one item per clock:

* S0 issue: the item ``(layer, group, pass, position)`` addresses its list entry;
* S1 list entry -> weight address (and the previous layer's spike word);
* S2 the memories' words, registered (a deep memory is a cascade of block RAMs whose output
  multiplexer must not share a clock period with the comparisons);
* S2b the input's ``L`` bits per time lane, ``[r_in < code]`` (comparisons against that timestep's
  random numbers, which are build-time constants: :class:`~sc_neurocore.hw.thermometer.ConstantComparator`;
  a spike layer's spike), shared by every neuron lane, registered beside the weight words;
* S2c product bits: per neuron lane and time lane, the weight magnitude's ``L`` comparisons ANDed
  with the input's bits, registered;
* S3 popcounts; then the signed accumulate.

A block's last item moves its ``lanes x tlanes`` sums into the *output register* (``o``), which the
neuron unit reads one time lane at a time (``shift``) and frees (``ready``).  If the next block
finishes while the register is still full, the pipeline stalls: ``stall`` is a register computed a
clock ahead, and the memories' read ports have no enable (an iCE40 would add a hold multiplexer on
the data path): during a stall each port re-reads the address of the item its stage holds.

Fanout: the decisions that reach every register of a neuron lane -- ``stall`` (the clock enable of
the lane's products, popcounts and sums) and ``write`` (the output register's load) -- are registers
computed a clock ahead, one copy per neuron lane (``keep``, so that synthesis does not merge them
back), and the consumer's ``shift`` arrives as one bit per lane: no single net drives all of the
``lanes x tlanes`` sums, which on the ECP5 cost up to 16 ns of routing (issue 19).  Datapath
registers have no reset (they are written before they are read); only the valid bits, the state
and the output register's ``full`` do.

Latency: an item's count is in the sums :data:`~sc_neurocore.hw.timing.PIPE` clocks after it issued;
one item per clock (an empty list still issues one null item per block).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
from amaranth.hdl import Array, Cat, Const, Module, Mux, Shape, Signal, signed
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out

from ..sc.contract import ROLE_INPUT, ROLE_WEIGHT
from ..sc.sources import source_values
from .active_list import list_read_signature
from .faults import image_counter
from .plan import EngineSpec
from .ports import bits
from .sc_dot import popcount
from .thermometer import ConstantComparator
from .writeback import own_list_signature, spike_read_signature

__all__ = ["SIGN_PACK", "CountPipeline", "block_layout", "block_signature", "group_layout", "group_table",
           "pipeline_control", "weight_images"]

#: Weight sign bits per word of a lane's sign memory (iCE40 block RAMs are 16 bits wide).
SIGN_PACK = 16


def pipeline_control(spec: EngineSpec) -> wiring.Signature:
    """The sequencer's side: ``start`` the blocks of ``layer``; ``busy`` until the last block's sums are taken; a net
    with a recurrent layer also tells ``drained``: the neuron unit is idle and the writeback has written the spikes
    it was handed (the next timestep's blocks may read them)."""
    members = {"layer": Out(spec.layer_shape), "start": Out(1), "busy": In(1)}
    if spec.has_recurrent:
        members["drained"] = Out(1)
    return wiring.Signature(members)


def group_layout(spec: EngineSpec) -> data.StructLayout:
    """A conv net's per-group facts that travel with a block (:class:`~sc_neurocore.hw.plan.GroupRow`):
    ``neuron0`` (the model's index of lane 0's neuron), ``valid`` lanes, ``brow`` (bias row in the layer),
    ``out0`` (lane 0's row in the next layer's spike memory), ``wfirst``/``wlast`` (the group opens/closes its
    pooling window)."""
    n_rows = max(max(r.brow for r in rows) for rows in spec.groups) + 1
    return data.StructLayout({"neuron0": range(spec.max_neurons + 1), "valid": range(spec.lanes + 1),
                              "brow": range(max(n_rows, 2)), "out0": range(spec.max_hidden + spec.lanes + 1),
                              "wfirst": 1, "wlast": 1})


def _walk_layout(spec: EngineSpec) -> data.StructLayout:
    """A group-table row: the block's facts, its first weight row, and where its receptive field starts."""
    span = max(pl.n_in for pl in spec.plans) + 1
    pos = max([max(abs(r.yy0), abs(r.xx0)) for rows in spec.groups for r in rows] + [1]) + 1
    return data.StructLayout({"grp": group_layout(spec), "wrow": range(spec.weight_rows + 1),
                              "idx0": signed(bits(span) + 2), "yy0": signed(bits(pos) + 2),
                              "xx0": signed(bits(pos) + 2)})


def group_table(spec: EngineSpec) -> tuple[list[int], list[dict]]:
    """``(first row of each layer, rows)``: the group table of a conv net (:func:`~sc_neurocore.hw.plan.group_rows`
    of every layer, one after the other)."""
    bases, rows = [], []
    for li in range(spec.n_layers):
        bases.append(len(rows))
        rows += [{"grp": {"neuron0": r.neuron0, "valid": r.valid, "brow": r.brow, "out0": r.out0,
                          "wfirst": int(r.first), "wlast": int(r.last)},
                  "wrow": r.wrow, "idx0": r.idx0, "yy0": r.yy0, "xx0": r.xx0} for r in spec.groups[li]]
    return bases, rows


def _is_conv(spec: EngineSpec, layer):
    """1 while ``layer`` (a layer-index signal) names a conv layer."""
    return Array([Const(int(pl.conv is not None), 1) for pl in spec.plans])[layer]


def block_layout(spec: EngineSpec) -> data.StructLayout:
    """The output register as the neuron unit sees it: the block's ``layer``, ``group``, ``pass_``,
    ``counts[p]``, the signed count of neuron lane ``p`` at the time lane at the head of the register,
    and ``ahead[p]``, the count of the time lane behind it (what ``counts[p]`` shows after a ``shift``;
    the head itself when ``tlanes`` is 1), so that the consumer can register a function of the next
    head one clock early."""
    fields = {
        "layer": spec.layer_shape,
        "group": spec.group_shape,
        "pass_": spec.pass_shape,
        "counts": data.ArrayLayout(signed(spec.count_bits), spec.lanes),
        "ahead": data.ArrayLayout(signed(spec.count_bits), spec.lanes),
    }
    if spec.has_conv:  # a conv net's group facts (:func:`group_layout`); the block was silent (no listed input)
        fields["grp"] = group_layout(spec)
        fields["silent"] = 1
    return data.StructLayout(fields)


def block_signature(spec: EngineSpec) -> wiring.Signature:
    """A stream of finished blocks (the pipeline's side) whose payload shows one time lane at a time.

    ``valid``: a block is held; ``shift``: the next time lane moves to the head (``counts``), one bit
    per neuron lane (bit ``p`` shifts lane ``p``; the consumer drives them alike, as copies of one
    decision that each reach one lane's registers); ``ready``: the consumer is done with the block,
    which frees the register at the clock edge.
    """
    return wiring.Signature({"valid": Out(1), "payload": Out(block_layout(spec)), "shift": In(spec.lanes),
                             "ready": In(1)})


def weight_images(spec: EngineSpec) -> tuple[list[list[int]], list[list[list[int]]]]:
    """Per neuron lane: weight magnitudes (row ``wbase + g*n_in + i``; a recurrent layer's ``wbase + g*(n_in + n_out)
    + i``, its own spike input ``j`` at ``i = n_in + j``; a conv layer's ``wbase + cg*taps + tap``) and signs
    (``SIGN_PACK`` per word, 1 = negative)."""
    P = spec.lanes
    mags: list[list[int]] = [[] for _ in range(P)]
    signs: list[list[int]] = [[] for _ in range(P)]
    for layer, pl in zip(spec.qnet.layers, spec.plans):
        wq = np.asarray(layer.weight_q, dtype=np.int64)
        if layer.recurrent:  # then its own spike inputs: W_rec's columns
            wq = np.concatenate([wq, np.asarray(layer.recurrent_q, dtype=np.int64)], axis=1)
        # a dense layer: a row per group and input; a conv layer: a row per channel group and tap (its kernels)
        n_rows, width, n_valid = ((pl.groups, pl.row_width, pl.n_out) if pl.conv is None else
                                  (math.ceil(pl.channels / P), pl.taps, pl.channels))
        for g in range(n_rows):
            for p in range(P):
                j = g * P + p
                row = wq[j] if j < n_valid else np.zeros(width, dtype=np.int64)
                mags[p].extend(int(abs(v)) for v in row)
                signs[p].extend(int(v < 0) for v in row)
    words = [[s[r:r + SIGN_PACK] for r in range(0, len(s), SIGN_PACK)] for s in signs]
    return mags, words


def source_windows(spec: EngineSpec, role: int) -> dict[int, np.ndarray]:
    """``{layer: (T, L) array}``: the layer's random numbers of ``role`` at each timestep (no input
    numbers for spike layers)."""
    cfg, T, L = spec.config, spec.T, spec.config.length
    return {li: np.asarray(source_values(cfg, li, role, T * L), dtype=np.int64).reshape(T, L)
            for li, pl in enumerate(spec.plans) if role == ROLE_WEIGHT or pl.prob}


class CountPipeline(wiring.Component):
    """Counts a layer's active inputs into ``lanes x tlanes`` signed sums per block (see the module docstring).

    Parameters
    ----------
    spec : EngineSpec

    Attributes
    ----------
    control : In(pipeline_control)
        ``start`` (one clock) issues every block of ``layer``; ``busy`` until they are all taken.
    lists : In(list_read_signature)
        The active lists (``hw/active_list.py``).
    spikes : In(spike_read_signature)   (nets with hidden layers or a spike-input first layer)
        The previous layer's spikes, or the input's spike words (``hw/writeback.py``).
    own : In(own_list_signature)   (nets with a recurrent layer only)
        A recurrent layer's own spikes of the timestep before, listed (``hw/writeback.py``).
    o : Out(block_signature)
        The output register: one finished block at a time.
    """

    def __init__(self, spec: EngineSpec):
        self.spec = spec
        members = {
            "control": In(pipeline_control(spec)),
            "lists": In(list_read_signature(spec)),
            "o": Out(block_signature(spec)),
        }
        if spec.has_spike_memory:
            members["spikes"] = In(spike_read_signature(spec))
        if spec.has_recurrent:
            members["own"] = In(own_list_signature(spec))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        spec = self.spec
        P, TL = spec.lanes, spec.tlanes
        # an item's tag: its block (layer, group, pass), first and last item of the block, and whether it is
        # a real input (an empty list issues one null item); one valid bit and one tag per stage
        tag_fields = {"lay": spec.layer_shape, "g": spec.group_shape, "ps": spec.pass_shape,
                      "first": 1, "last": 1, "real": 1}
        if spec.has_recurrent:  # the item is one of a recurrent layer's own spikes of the timestep before
            tag_fields["rec"] = 1
        if spec.has_conv:  # the group's facts, whether the item is a null item (it counts nothing), and on a block's
            # last item whether the block was silent (no listed input under its receptive field)
            tag_fields.update(grp=group_layout(spec), pad=1, silent=1)
        tag = data.StructLayout(tag_fields)
        s = SimpleNamespace(  # the registers the stages share: S1, S2, S2b, S2c, S3 valid and tag; S3 operands
            v1=Signal(), v2=Signal(), vb=Signal(), vc=Signal(), v3=Signal(),
            t1=Signal(tag, reset_less=True), t2=Signal(tag, reset_less=True), tb=Signal(tag, reset_less=True),
            tc=Signal(tag, reset_less=True), t3=Signal(tag, reset_less=True),
            issuing=Signal(),
            cnt3=[[Signal(range(spec.config.length + 1), name=f"cnt_{p}_{q}", reset_less=True) for q in range(TL)]
                  for p in range(P)],
            sgn3=[Signal(name=f"sign_{p}", reset_less=True) for p in range(P)],
            # copies of one register each (see the module docstring): lane p's stall and output-register load
            stalls=[Signal(name=f"stall_{p}", attrs={"keep": 1}) for p in range(P)],
            writes=[Signal(name=f"write_{p}", attrs={"keep": 1}) for p in range(P)],
        )
        s.stall = s.stalls[0]  # the copy of the stages' shared registers
        mags, signs = self._weight_memories(m)
        wrow1 = self._issue(m, s)
        code2, sel2 = self._read(m, s, wrow1, mags, signs)
        self._products(m, s, code2, sel2, mags, signs)
        self._accumulate(m, s)
        m.d.comb += self.control.busy.eq(s.issuing | s.walking | s.v1 | s.v2 | s.vb | s.vc | s.v3 | self.o.valid)
        return m

    def _fault_deltas(self, m, s, write):
        """A fault build (``hw/faults.py``): the count changes of the block being written, from a ROM row per
        (image, layer, group, pass) holding lane ``p``'s change at time lane ``q`` as entry ``p * tlanes + q``;
        the image counter steps after the image's last block."""
        spec, plan = self.spec, self.spec.faults
        P, TL, NL, passes = spec.lanes, spec.tlanes, spec.n_layers, spec.passes
        G = max(pl.groups for pl in spec.plans)
        rows = [[plan.value("count_delta", spec, li, img, g, p, ps * TL + q) for p in range(P) for q in range(TL)]
                for img in range(plan.images) for li in range(NL) for g in range(G) for ps in range(passes)]
        rom = memory.Memory(shape=data.ArrayLayout(signed(spec.count_bits), P * TL), depth=len(rows), init=rows)
        m.submodules.fault_counts = rom
        rd = rom.read_port(domain="comb")
        last = spec.plans[-1]
        img = image_counter(m, write & (s.t3.lay == NL - 1) & (s.t3.g == last.groups - 1) & (s.t3.ps == passes - 1),
                            plan.images)
        m.d.comb += rd.addr.eq(((img * NL + s.t3.lay) * G + s.t3.g) * passes + s.t3.ps)
        return [rd.data[i] for i in range(P * TL)]

    def _weight_memories(self, m):
        """One magnitude and one sign memory per neuron lane; their read ports (no enable)."""
        mags, signs = weight_images(self.spec)
        mag_rd, sign_rd = [], []
        for p in range(self.spec.lanes):
            mag = memory.Memory(shape=self.spec.config.prob_bits, depth=max(len(mags[p]), 2), init=mags[p])
            sign = memory.Memory(shape=data.ArrayLayout(1, SIGN_PACK), depth=max(len(signs[p]), 2), init=signs[p])
            m.submodules[f"wmag_{p}"], m.submodules[f"wsgn_{p}"] = mag, sign
            mag_rd.append(mag.read_port())
            sign_rd.append(sign.read_port())
        return mag_rd, sign_rd

    def _issue(self, m, s):
        """S0: walk (group, pass, position) over the layer's active list; the item reads its list entry (a conv
        layer: :meth:`_walk`)."""
        spec = self.spec
        layer, passes, max_in = self.control.layer, spec.passes, spec.max_in

        def per_layer(values, shape):
            return Array([Const(int(v), shape) for v in values])[layer]

        g = Signal(spec.group_shape)
        ps = Signal(spec.pass_shape)
        items = spec.max_items
        cur = Signal(range(items + 1))
        wrow = Signal(range(spec.weight_rows + items + 1))
        wrow1 = Signal.like(wrow, reset_less=True)
        region = layer[0] if spec.n_layers > 1 else Const(0, 1)
        n_cur = self.lists.count[region]
        laddr0, laddr1 = Signal.like(self.lists.addr), Signal.like(self.lists.addr, reset_less=True)
        m.d.comb += [laddr0.eq(region * max_in + cur), self.lists.addr.eq(Mux(s.stall, laddr1, laddr0))]
        n_groups = per_layer([pl.groups for pl in spec.plans], spec.group_shape)
        wbase = per_layer([pl.wbase for pl in spec.plans], range(spec.weight_rows + 1))
        issue, real, rec = s.issuing, n_cur != 0, None
        if spec.has_recurrent:
            issue, real, rec, n_own = self._recurrent_items(m, s, layer, per_layer, cur, n_cur, g, ps)
            item_last = cur + 1 >= n_cur + n_own
        else:
            item_last = cur + 1 >= n_cur
        g_next = Mux(item_last & (ps == passes - 1), g + 1, g)  # the group of the next item
        with m.If(~s.stall):
            m.d.sync += [s.v1.eq(issue), laddr1.eq(laddr0), s.t1.lay.eq(layer), s.t1.g.eq(g), s.t1.ps.eq(ps),
                         s.t1.first.eq(cur == 0), s.t1.last.eq(item_last), s.t1.real.eq(real), wrow1.eq(wrow)]
            if rec is not None:
                m.d.sync += s.t1.rec.eq(rec)
            with m.If(issue):
                with m.If(~item_last):
                    m.d.sync += cur.eq(cur + 1)
                with m.Else():
                    m.d.sync += cur.eq(0)
                    row_width = per_layer([pl.row_width for pl in spec.plans], range(items + 1))

                    def next_pass_of_group():  # a feedforward layer: the group's passes, then the next group
                        with m.If(ps != passes - 1):
                            m.d.sync += ps.eq(ps + 1)
                        with m.Else():
                            m.d.sync += [ps.eq(0), g.eq(g + 1), wrow.eq(wrow + row_width)]
                            with m.If(g == n_groups - 1):
                                m.d.sync += s.issuing.eq(0)

                    if rec is None:
                        next_pass_of_group()
                    else:  # a recurrent layer: every group at one timestep, then the next timestep
                        with m.If(~self._rec_layer):
                            next_pass_of_group()
                        with m.Elif(g != n_groups - 1):
                            m.d.sync += [g.eq(g + 1), wrow.eq(wrow + row_width)]
                        with m.Else():
                            m.d.sync += [g.eq(0), wrow.eq(wbase), ps.eq(ps + 1)]
                            with m.If(ps == passes - 1):
                                m.d.sync += s.issuing.eq(0)
        s.walking = Const(0, 1)
        with m.If(self.control.start):
            m.d.sync += [s.issuing.eq(1), g.eq(0), ps.eq(0), cur.eq(0), wrow.eq(wbase)]
        if spec.has_conv:
            self._walk(m, s, g_next, item_last, wrow1, per_layer)
        return wrow1

    def _recurrent_items(self, m, s, layer, per_layer, cur, n_cur, g, ps):
        """A net with a recurrent layer: after the listed inputs a recurrent layer's block at timestep ``t`` issues the
        layer's neurons that spiked at ``t - 1`` (the writeback's own-spike list of region ``(t - 1) % 2``, which
        holds neuron ``j`` as its weight row ``n_in + j``; none at ``t = 0``), each a spike input, and the blocks of
        ``t > 0`` wait, before the first group's first item, until the blocks of ``t - 1`` are counted, stepped and
        their spikes listed (``drained``).  Returns ``(issue, real, rec, n_own)``."""
        spec = self.spec
        self._rec_layer = per_layer([pl.recurrent for pl in spec.plans], 1)
        own = self.own
        prev = ~ps[0]  # the own-spike list of t - 1
        n_own = Signal(range(spec.max_hidden + 1))
        m.d.comb += n_own.eq(Mux(self._rec_layer & (ps != 0), own.count[prev], 0))
        rec = self._rec_layer & (cur >= n_cur)
        oaddr0, oaddr1 = Signal.like(own.addr), Signal.like(own.addr, reset_less=True)
        m.d.comb += [oaddr0.eq(prev * spec.max_hidden + (cur - n_cur)), own.addr.eq(Mux(s.stall, oaddr1, oaddr0))]
        with m.If(~s.stall):
            m.d.sync += oaddr1.eq(oaddr0)
        empty = ~(s.v1 | s.v2 | s.vb | s.vc | s.v3 | self.o.valid)
        hold = self._rec_layer & (cur == 0) & (g == 0) & (ps != 0) & ~(self.control.drained & empty)
        return s.issuing & ~hold, (n_cur != 0) | (n_own != 0), rec, n_own

    def _walk(self, m, s, g_next_dense, item_last_dense, wrow1, per_layer):
        """A conv net's S0.  The group table (one row per group, :func:`group_table`) gives each block's facts and
        first weight row (a dense layer's too).  A conv layer's block walks its receptive field a *slice* at a
        time: kernel row ``dy`` of every input channel, ``C * k`` taps, whose listed inputs (the lists' bit sets,
        ``hw/active_list.py``) form the slice's mask.  A walker fetches the next slice's mask into a register
        while the issue stage issues the current one's set bits, lowest first, one item per clock (an empty
        slice issues one null item, which counts nothing); the item's input index and weight row are the
        slice's bases plus the bit's offsets.  So a block costs ``sum_dy max(1, listed taps of row dy)`` clocks
        (:func:`~sc_neurocore.hw.timing.slice_items`) and silent inputs cost none."""
        spec = self.spec
        layer = self.control.layer
        bases, rows = group_table(spec)
        layout = _walk_layout(spec)
        m.submodules.groups = rom = memory.Memory(shape=layout, depth=max(len(rows), 2), init=rows)
        rd = rom.read_port(domain="comb")
        convs = [pl.conv for pl in spec.plans]
        kmax = max(c.kernel for c in convs if c is not None)
        cmax = max(c.in_channels for c in convs if c is not None)
        J = cmax * kmax  # a slice mask: bit c * kmax + dx is the tap (c, dy, dx)
        is_conv = per_layer([c is not None for c in convs], 1)

        def geo(fn, shape):
            return per_layer([fn(c) if c is not None else 0 for c in convs], shape)

        k = geo(lambda c: c.kernel, range(kmax + 1))
        gbase = per_layer(bases, range(len(rows) + 1))

        # a dense layer's group row (a conv net's dense layers read their facts from the table too)
        drow = Signal(layout)
        # the walker: the slice it fetches next (group, pass, dy), its group's row, the slice's bases
        wg, wps, wdy, wbusy = Signal(spec.group_shape), Signal(spec.pass_shape), Signal(range(kmax + 1)), Signal()
        row = Signal(layout)
        wyy = Signal(layout["yy0"].shape, name="walk_yy")
        widx = Signal(layout["idx0"].shape, name="walk_idx")
        wtap = Signal(range(spec.weight_rows + 1), name="walk_wrow")
        last_slice = wdy == k - 1
        wg_next = Mux(last_slice & (wps == spec.passes - 1), wg + 1, wg)
        m.d.comb += rd.addr.eq(Mux(self.control.start, gbase, gbase + Mux(is_conv, wg_next, g_next_dense)))

        mask = Signal(J)  # the fetched slice's listed taps
        m.d.comb += mask.eq(Array([self._slice_mask(li, c, wyy, row.xx0, kmax) if c is not None else Const(0, J)
                                   for li, c in enumerate(convs)])[layer])
        sl = data.StructLayout({"mask": J, "g": spec.group_shape, "ps": spec.pass_shape, "grp": group_layout(spec),
                                "wrow": range(spec.weight_rows + 1), "idx": layout["idx0"].shape, "first": 1,
                                "last": 1})
        nxt, nv = Signal(sl, reset_less=True), Signal()  # the fetched slice
        cur, cv = Signal(sl, reset_less=True), Signal()  # the slice being issued
        # the lowest set bit of the slice's mask, one-hot, in a register (found when the mask is written: the item's
        # index and weight row read it without a carry chain in front of the spike memory's address)
        low, rest = Signal(J, reset_less=True), Signal(J)
        m.d.comb += rest.eq(cur.mask & ~low)

        def lowest(v):
            return v & (~v + 1)

        # the slice's set bits left, and whether this clock's item is the slice's last (at most one left; an empty
        # slice's null item too), kept in registers: the decision to take the next slice reaches every register
        # of the walk, so it must not wait for the lowest-bit carry chain
        left = Signal(range(J + 1))
        done = Signal()
        take = ~s.stall & (~cv | done)  # the issue stage takes the fetched slice at the clock edge
        fill = wbusy & (~nv | take)
        fetched = Signal(range(J + 1))
        m.d.comb += fetched.eq(popcount(list(nxt.mask)))
        with m.If(take):
            m.d.sync += [cv.eq(nv), cur.eq(nxt), left.eq(fetched), done.eq(fetched <= 1), low.eq(lowest(nxt.mask))]
        with m.Elif(~s.stall & cv):
            m.d.sync += [cur.mask.eq(rest), cur.first.eq(0), left.eq(left - 1), done.eq(left <= 2),
                         low.eq(lowest(rest))]
        with m.If(fill):
            m.d.sync += [nv.eq(1), nxt.mask.eq(mask), nxt.g.eq(wg), nxt.ps.eq(wps), nxt.grp.eq(row.grp),
                         nxt.wrow.eq(wtap), nxt.idx.eq(widx), nxt.first.eq(wdy == 0), nxt.last.eq(last_slice)]
            with m.If(~last_slice):
                m.d.sync += [wdy.eq(wdy + 1), wyy.eq(wyy + 1), wtap.eq(wtap + k),
                             widx.eq(widx + geo(lambda c: c.width, range(spec.max_in + 1)))]
            with m.Else():  # the next block: the same group's next pass, or the next group (its row)
                m.d.sync += [wdy.eq(0), row.eq(rd.data), wyy.eq(rd.data.yy0), wtap.eq(rd.data.wrow),
                             widx.eq(rd.data.idx0), wps.eq(Mux(wps == spec.passes - 1, 0, wps + 1)), wg.eq(wg_next)]
                with m.If((wps == spec.passes - 1) & (wg == per_layer([pl.groups for pl in spec.plans],
                                                                        spec.group_shape) - 1)):
                    m.d.sync += wbusy.eq(0)
        with m.Elif(take):
            m.d.sync += nv.eq(0)

        # the item: the lowest set bit's input index and weight row (offsets of the one-hot bit, per layer)
        def offsets(fn, shape):
            per = []
            for c in convs:
                table = [fn(c, j // kmax, j % kmax) if c is not None and j // kmax < c.in_channels
                         and j % kmax < c.kernel else 0 for j in range(J)]
                width = Shape.cast(shape).width
                per.append(Cat(*[Cat(*[low[j] & ((table[j] >> b) & 1) for j in range(J)]).any()
                                 for b in range(width)]))
            return Array(per)[layer]

        ioff = offsets(lambda c, ch, dx: ch * c.height * c.width + dx, range(spec.max_in + 1))
        toff = offsets(lambda c, ch, dx: ch * c.kernel * c.kernel + dx, range(spec.weight_rows + 1))
        null = left == 0
        quiet = Signal()  # the block's items so far were all null
        with m.If(~s.stall & cv & is_conv):
            m.d.sync += quiet.eq(null & (quiet | cur.first))
        s.idx0 = Signal(range(spec.max_in + 1))  # the S0 item's input index (the spike memory reads it a stage early)
        m.d.comb += s.idx0.eq(Mux(null, 0, cur.idx + ioff))
        s.walking = cv | nv | wbusy
        with m.If(~s.stall):
            with m.If(is_conv):
                m.d.sync += [s.v1.eq(cv), s.t1.g.eq(cur.g), s.t1.ps.eq(cur.ps), s.t1.first.eq(cur.first),
                             s.t1.last.eq(cur.last & done), s.t1.real.eq(1), s.t1.grp.eq(cur.grp), s.t1.pad.eq(null),
                             s.t1.silent.eq(null & (quiet | cur.first)),
                             wrow1.eq(cur.wrow + toff)]
            with m.Else():
                m.d.sync += [s.t1.grp.eq(drow.grp), s.t1.pad.eq(0), s.t1.silent.eq(0)]
                with m.If(s.issuing & item_last_dense):
                    m.d.sync += drow.eq(rd.data)
        with m.If(self.control.start):
            m.d.sync += [drow.eq(rd.data), wbusy.eq(is_conv), wg.eq(0), wps.eq(0), wdy.eq(0), row.eq(rd.data),
                         wyy.eq(rd.data.yy0), wtap.eq(rd.data.wrow), widx.eq(rd.data.idx0)]
            with m.If(is_conv):
                m.d.sync += s.issuing.eq(0)

    def _slice_mask(self, li, geom, yy, xx0, kmax):
        """The mask of conv layer ``li``'s slice at input row ``yy`` (signed; outside the input: no taps) from column
        ``xx0`` (signed; columns outside are padding): bit ``c * kmax + dx`` is input ``(c, yy, xx0 + dx)``'s bit in
        the bit set of the region the layer reads."""
        C, H, W, kk, p = geom.in_channels, geom.height, geom.width, geom.kernel, geom.padding
        bits_r = getattr(self.lists, f"active_{li % 2}")
        inside = (yy >= 0) & (yy < H)
        ysel = yy.as_unsigned()[:bits(H - 1)] if H > 1 else Const(0, 1)
        out = []
        for c in range(C):
            words = [bits_r[(c * H + y) * W:(c * H + y + 1) * W] for y in range(H)]
            word = Mux(inside, Array(words)[ysel], 0)
            padded = Cat(Const(0, p), word, Const(0, p + kk)) if p else Cat(word, Const(0, kk))
            win = padded.bit_select((xx0 + p).as_unsigned()[:bits(W + 2 * p)], kk)
            out.append(Cat(win, Const(0, kmax - kk)))
        return Cat(*out)

    def _read(self, m, s, wrow1, mags, signs):
        """S1: the list entry addresses the weights (and the previous layer's spikes); S2: their words arrive."""
        spec = self.spec
        entry = self.lists.data
        sp_bits = int(math.log2(SIGN_PACK))
        waddr = Signal(max(sp_bits + 1, bits(spec.weight_rows + spec.max_in)))
        waddr2 = Signal.like(waddr, reset_less=True)
        index = entry.index
        if spec.has_conv:  # a conv layer's item is a tap: its weight row comes from the walk
            conv1 = _is_conv(spec, s.t1.lay)
            m.d.comb += waddr.eq(wrow1 + Mux(conv1, 0, entry.index))
        elif spec.has_recurrent:  # an own spike input's row follows the layer's inputs (the list holds n_in + j)
            m.d.comb += waddr.eq(wrow1 + Mux(s.t1.rec, self.own.data, entry.index))
        else:
            m.d.comb += waddr.eq(wrow1 + entry.index)
        for p, (mag, sign) in enumerate(zip(mags, signs)):
            w_rd_addr = Mux(s.stalls[p], waddr2, waddr)
            m.d.comb += [mag.addr.eq(w_rd_addr), sign.addr.eq(w_rd_addr >> sp_bits)]
        if spec.has_spike_memory:
            saddr, saddr2 = Signal.like(self.spikes.addr), Signal.like(self.spikes.addr, reset_less=True)
            m.d.comb += [saddr.eq((~s.t1.lay[0]) * spec.max_hidden + index),
                         self.spikes.addr.eq(Mux(s.stall, saddr2, saddr))]
            with m.If(~s.stall):
                m.d.sync += saddr2.eq(saddr)
        if spec.has_conv:
            # a conv layer knows its item's input index at S0, so it reads the spike memory a stage early and
            # registers the word at S2 (the BRAM's output then reaches a flip-flop, not the code's comparators);
            # the pipeline holds one layer's items at a time, so the layer being run picks the address
            layer = self.control.layer
            conv_now = _is_conv(spec, layer)
            caddr0, caddr1 = Signal.like(self.spikes.addr), Signal.like(self.spikes.addr, reset_less=True)
            m.d.comb += caddr0.eq((~layer[0]) * spec.max_hidden + s.idx0)
            with m.If(~s.stall):
                m.d.sync += caddr1.eq(caddr0)
            with m.If(conv_now):
                m.d.comb += self.spikes.addr.eq(Mux(s.stall, caddr1, caddr0))
            s.word2 = Signal(spec.spike_word_bits, reset_less=True)
            with m.If(~s.stall):
                m.d.sync += s.word2.eq(self.spikes.data)
        code2 = Signal(spec.config.prob_bits, reset_less=True)
        sel2 = Signal(range(SIGN_PACK), reset_less=True)
        with m.If(~s.stall):
            m.d.sync += [s.v2.eq(s.v1), s.t2.eq(s.t1), code2.eq(entry.code), sel2.eq(waddr[:sp_bits]),
                         waddr2.eq(waddr)]
        if spec.has_conv:  # a first conv layer reads its code from the spike memory (the loader put it there)
            conv2 = _is_conv(spec, s.t2.lay)
            code = Signal(spec.config.prob_bits)
            m.d.comb += code.eq(Mux(s.t2.pad, 0, Mux(conv2, s.word2[:spec.config.prob_bits], code2)))
            return code, sel2
        return code2, sel2

    def _products(self, m, s, code2, sel2, mags, signs):
        """S2 -> S2b: register the words; S2b -> S2c: the product bits; S2c -> S3: their popcounts."""
        spec = self.spec
        P, TL, L, k, T = spec.lanes, spec.tlanes, spec.config.length, spec.config.prob_bits, spec.T
        mag_b = [Signal(k, name=f"mag_{p}", reset_less=True) for p in range(P)]
        sgn_b = [Signal(name=f"sgn_{p}", reset_less=True) for p in range(P)]
        for p in range(P):
            with m.If(~s.stalls[p]):
                m.d.sync += [mag_b[p].eq(mags[p].data), sgn_b[p].eq(signs[p].data[sel2])]
        with m.If(~s.stall):
            m.d.sync += [s.vb.eq(s.v2), s.tb.eq(s.t2)]

        # the item's (layer, pass) picks each time lane's constants
        combos = [(li, pp) for li in range(spec.n_layers) for pp in range(spec.passes)]

        def constants(wins, q, c):
            """Random number ``c`` of time lane ``q`` under each (layer, pass); lanes past T in the last pass
            take a valid window (their results are unused)."""
            return [int(wins[li][t if (t := pp * TL + q) < T else q, c]) if li in wins else 0 for li, pp in combos]

        def lane_bits(q, wins, less, tag):
            """``L`` bits ``[r_c < operand]`` of time lane ``q`` under the (layer, pass) of ``tag``."""
            sel = tag.lay * spec.passes + tag.ps
            out = []
            for c in range(L):
                values = constants(wins, q, c)
                results = [less[v] for v in values]
                out.append(results[0] if len(set(values)) == 1 else Array(results)[sel])
            return out

        def comparator(name, operand, wins):
            """``{v: [v < operand]}``: the comparator's 1-bit port per constant ``v``."""
            values = {v for q in range(TL) for c in range(L) for v in constants(wins, q, c)}
            m.submodules[name] = cmp = ConstantComparator(k, values)
            m.d.comb += cmp.operand.eq(operand)
            return {v: cmp.less_than(v) for v in cmp.constants}

        # the input's bits [r_in < x] (a spike layer: the spike, in every cycle) are shared by every neuron
        # lane: computed from S2's code and registered at S2b, beside the weights, so that the wide fanout
        # to the lanes starts at a flip-flop instead of at the comparator (issue 19)
        w_win, x_win = source_windows(spec, ROLE_WEIGHT), source_windows(spec, ROLE_INPUT)
        x_cmp = comparator("lt_x", code2, x_win) if x_win else None
        is_prob = Array([Const(int(pl.prob), 1) for pl in spec.plans])[s.t2.lay]
        spk2 = self.spikes.data.word_select(s.t2.ps, TL) if spec.has_spike_memory else Const(0, TL)
        if spec.has_recurrent:  # an own spike input: a neuron listed as spiking at t - 1 (one time lane)
            is_prob = is_prob & ~s.t2.rec
            spk2 = Mux(s.t2.rec, 1, spk2)
        if spec.has_conv:  # a conv layer's word was registered at S2; a padding tap reads no spike
            conv2 = _is_conv(spec, s.t2.lay)
            spk2 = Mux(s.t2.pad, 0, Mux(conv2, s.word2.word_select(s.t2.ps, TL), spk2))
        xbits = []
        for q in range(TL):
            xq = Signal(L, name=f"xbits_{q}", reset_less=True)
            if x_cmp is None:
                value = spk2[q].replicate(L)
            else:
                xb = Cat(*lane_bits(q, x_win, x_cmp, s.t2))
                value = Mux(is_prob, xb, spk2[q].replicate(L)) if spec.n_layers > 1 else xb
            with m.If(~s.stall):
                m.d.sync += xq.eq(value)
            xbits.append(list(xq))
        w_cmp = [comparator(f"lt_w{p}", mag_b[p], w_win) for p in range(P)]
        sgn_c = [Signal(name=f"sgn_c_{p}", reset_less=True) for p in range(P)]
        prod = [[Signal(L, name=f"prod_{p}_{q}", reset_less=True) for q in range(TL)] for p in range(P)]
        with m.If(~s.stall):
            m.d.sync += [s.vc.eq(s.vb), s.tc.eq(s.tb), s.v3.eq(s.vc), s.t3.eq(s.tc)]
        for p in range(P):
            with m.If(~s.stalls[p]):
                m.d.sync += [sgn_c[p].eq(sgn_b[p]), s.sgn3[p].eq(sgn_c[p])]
                for q in range(TL):
                    wb = lane_bits(q, w_win, w_cmp[p], s.tb)
                    m.d.sync += prod[p][q].eq(Cat(*[xbits[q][c] & wb[c] for c in range(L)]))
                    m.d.sync += s.cnt3[p][q].eq(popcount(list(prod[p][q])))

    def _accumulate(self, m, s):
        """S3: signed accumulate; a block's last item moves the sums into the output register."""
        spec = self.spec
        P, TL, cb = spec.lanes, spec.tlanes, spec.count_bits
        acc = [[Signal(signed(cb), name=f"acc_{p}_{q}", reset_less=True) for q in range(TL)] for p in range(P)]
        bank = [[Signal(signed(cb), name=f"bank_{p}_{q}", reset_less=True) for q in range(TL)] for p in range(P)]
        full, full_next = Signal(), Signal()
        held_fields = {"lay": spec.layer_shape, "g": spec.group_shape, "ps": spec.pass_shape}
        if spec.has_conv:
            held_fields.update(grp=group_layout(spec), silent=1)
        held_tag = Signal(data.StructLayout(held_fields), reset_less=True)
        # ending: a block's last item is in S3 in the next clock.  stall = v3 & t3.last & full and
        # write = v3 & t3.last & ~full (the register's own state only: no wait on the unit), both kept in
        # registers computed from next-clock values, so that they reach the enables and multiplexers
        # straight from a flip-flop -- one copy per lane
        ending = Mux(s.stall, s.v3 & s.t3.last, s.vc & s.tc.last)
        m.d.sync += [x.eq(ending & full_next) for x in s.stalls]
        m.d.sync += [x.eq(ending & ~full_next) for x in s.writes]
        write = s.writes[0]
        acc_next = [[None] * TL for _ in range(P)]
        for p in range(P):
            # lane p's copies of S3's valid bit and the tag bits every sum reads
            v3, first, real = (Signal(name=f"{n}_{p}", attrs={"keep": 1}) for n in ("v3", "first3", "real3"))
            with m.If(~s.stalls[p]):
                m.d.sync += [v3.eq(s.vc), first.eq(s.tc.first), real.eq(s.tc.real)]
            for q in range(TL):
                term = Mux(real, Mux(s.sgn3[p], -s.cnt3[p][q], s.cnt3[p][q]), 0)
                nxt = Signal(signed(cb), name=f"acc_next_{p}_{q}")
                m.d.comb += nxt.eq(Mux(first, 0, acc[p][q]) + term)
                acc_next[p][q] = nxt
                with m.If(v3 & ~s.stalls[p]):
                    m.d.sync += acc[p][q].eq(nxt)

        out = self.o.payload
        m.d.comb += [self.o.valid.eq(full), out.layer.eq(held_tag.lay), out.group.eq(held_tag.g),
                     out.pass_.eq(held_tag.ps)]
        if spec.has_conv:
            m.d.comb += [out.grp.eq(held_tag.grp), out.silent.eq(held_tag.silent)]
        m.d.comb += [out.counts[p].eq(bank[p][0]) for p in range(P)]
        m.d.comb += [out.ahead[p].eq(bank[p][min(1, TL - 1)]) for p in range(P)]
        delta = self._fault_deltas(m, s, write) if spec.faults is not None else None
        for p in range(P):
            with m.If(self.o.shift[p]):
                m.d.sync += [bank[p][q].eq(bank[p][q + 1]) for q in range(TL - 1)]
            with m.If(s.writes[p]):  # after the shifts: a new block wins over the old one's last shift
                m.d.sync += [bank[p][q].eq(acc_next[p][q] if delta is None else acc_next[p][q] + delta[p * TL + q])
                             for q in range(TL)]
        m.d.comb += full_next.eq(write | (full & ~self.o.ready))
        with m.If(write):
            m.d.sync += [full.eq(1), held_tag.lay.eq(s.t3.lay), held_tag.g.eq(s.t3.g), held_tag.ps.eq(s.t3.ps)]
            if spec.has_conv:
                m.d.sync += [held_tag.grp.eq(s.t3.grp), held_tag.silent.eq(s.t3.silent)]
        with m.Elif(self.o.ready):
            m.d.sync += full.eq(0)
