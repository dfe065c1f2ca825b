"""The whole SC spiking net in gateware: a time-batched, event-driven inference engine.

Model: :meth:`sc_neurocore.sc.network.SCNetwork.run_codes` ``(xq, T, trace=True)``: every
timestep's per-layer ``sc_counts``, ``currents``, ``membranes``, ``spikes``, the output
``counts`` and ``prediction`` are the same integers (``tests/hw/test_network.py``).

Why it is built this way
------------------------
The contract's sources restart at every image and every lane of a role shares its layer's
source (``docs/sc-arithmetic.md`` sections 4-6), so the ``L`` random numbers of timestep ``t``
of layer ``l`` are the same for every image: they are **constants** of the build, taken from
:func:`~sc_neurocore.sc.sources.source_values`.  A product stream bit ``[r_in < x] & [r_w < |w|]``
is then a comparison of the weight (or input code) against a constant, which synthesis reduces
to a few LUTs, and a layer's count ``C[j, t]`` depends only on its inputs, not on the membrane.
The engine therefore reads each weight once per *pass* and counts it for ``tlanes`` timesteps
at once (one *time lane* per timestep, each wired to its own constants), and runs the LIF
recurrence over the finished counts afterwards.

Schedule of one image
---------------------
``LOAD`` takes the ``n_input`` codes (one per clock) and lists the non-zero ones.  Then each
layer ``l`` in turn: for each neuron group ``g`` (``lanes`` neurons) and pass ``p``
(timesteps ``p*tlanes .. p*tlanes+tlanes-1``), a *block* streams the layer's **active inputs**
(non-zero codes; for a spike layer, the neurons of layer ``l-1`` that spiked at least once in
this image) through a 6-stage pipeline, one input per clock, ``lanes x tlanes`` signed counts
per clock.  Zero inputs add nothing to any count, so they take no clocks.  A finished block's
counts go to the LIF unit, which scales them to currents and steps the ``lanes`` membranes
through the pass's timesteps while the next block counts; a writeback unit stores the spikes
for the next layer and lists the neurons that spiked.  After the last layer an argmax scan
offers the class counts and the prediction.  :func:`cycles_per_image` gives the clocks of an
image exactly (the tests hold the core to it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, memory, wiring

from ..export import QuantizedNet
from ..sc.contract import ROLE_INPUT, ROLE_WEIGHT
from ..sc.sources import source_values
from .checks import check_int, checked_init
from .lif import lif_update_split
from .records import NetworkRecords, bits, decode_struct, network_signature, output_layout, trace_layout
from .sc_dot import count_width, popcount, saturate
from .thermometer import ConstantComparator

__all__ = [
    "SCNetworkCore",
    "active_inputs",
    "cycles_per_image",
    "decode_struct",
    "image_cycles",
    "normalize_parallelism",
    "output_layout",
    "trace_layout",
]

#: Weight sign bits per word of a lane's sign memory (iCE40 block RAMs are 16 bits wide).
SIGN_PACK = 16


def normalize_parallelism(qnet: QuantizedNet, T: int, parallelism) -> tuple[int, int]:
    """``(lanes, tlanes)`` clamped to the net: neurons per clock (<= widest layer), timesteps per clock (<= T)."""
    if not isinstance(qnet, QuantizedNet):
        raise TypeError(f"qnet must be a QuantizedNet, not {qnet!r}")
    check_int("T", T, 1, 1 << 20)
    if not (isinstance(parallelism, Sequence) and len(parallelism) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in parallelism)):
        raise ValueError(f"parallelism must be one (lanes, tlanes) pair for the whole engine, not {parallelism!r}")
    lanes, tlanes = parallelism
    check_int("lanes", lanes, 1)
    check_int("tlanes", tlanes, 1)
    return min(lanes, max(layer.n_out for layer in qnet.layers)), min(tlanes, T)


@dataclass(frozen=True)
class _Plan:
    """Static facts of one layer for the engine (all derived from the ``QuantizedLayer``)."""

    n_in: int
    n_out: int
    groups: int
    prob: bool
    wbase: int  # first weight-memory row of the layer
    bbase: int  # first bias-memory row of the layer


def _plans(qnet: QuantizedNet, lanes: int) -> list[_Plan]:
    plans, wbase, bbase = [], 0, 0
    for layer in qnet.layers:
        groups = math.ceil(layer.n_out / lanes)
        plans.append(_Plan(layer.n_in, layer.n_out, groups, layer.input_kind == "prob", wbase, bbase))
        wbase += groups * layer.n_in
        bbase += groups
    return plans


# ----------------------------------------------------------------------------------- timing model
#: Clocks from an item entering the issue stage to its count being accumulated (S0, S1, S2, S2b, S2c, S3).
PIPE = 5


def _schedule(plans, T: int, lanes: int, tlanes: int, n_input: int, active: list[int], *, trace: bool = False) -> int:
    """Clocks of one image on the engine, given each layer's number of active inputs.

    An event model of the control in :class:`SCNetworkCore` (kept in step with it by the tests):
    blocks issue back to back one item per clock (``max(1, active)`` items); a block's counts
    reach the shadow bank ``PIPE`` clocks after its last item issued, or when the LIF unit frees
    the bank (the pipeline stalls until then); the LIF unit takes a full bank, spends 2 clocks
    reading the bias and prefetching currents, then 1 clock per timestep (with tracing: one per neuron record), then hands
    the spikes to the writeback unit (hidden layers: one clock per neuron of the group, and
    the LIF unit waits for it to be free).  A layer starts 2 clocks after the previous one is done.
    """
    passes = math.ceil(T / tlanes)
    n_layers = len(plans)
    now = n_input + 1  # LOAD (one code per clock), START
    for li, pl in enumerate(plans):
        now += 1  # LAYER_START
        items = max(1, active[li])
        issue = now  # cycle the next item enters S0
        lif_free = now  # first cycle the LIF unit is idle
        bank_free = now  # first cycle the shadow bank may be written
        wb_free = now  # first cycle the writeback unit is idle
        for g in range(pl.groups):
            valid = min(lanes, pl.n_out - g * lanes)
            for p in range(passes):
                nt = min(tlanes, T - p * tlanes)
                write = max(issue + items - 1 + PIPE, bank_free)  # cycle the block's last item is in S3
                issue = write - PIPE + 1
                take = max(write + 1, lif_free)  # LIF IDLE sees the full bank
                step_clocks = valid if trace else 1
                last_commit = take + 2 + nt * step_clocks  # PREP, PREP2, then nt steps (the last commits here)
                bank_free = last_commit + 1  # released by the last commit, free from the next cycle
                if li < n_layers - 1:
                    hand = max(last_commit + 1, wb_free)  # HAND waits for the writeback unit
                    wb_free = hand + 1 + valid
                    lif_free = hand + 1
                else:
                    lif_free = last_commit + 1
        now = max(lif_free, wb_free, issue + PIPE)  # layer done: everything idle
        now += 1  # the cycle that sees it done
    n_out = plans[-1].n_out
    return now + max(0, n_out - 1) + 1  # ARGMAX scan, OUT


def active_inputs(qnet: QuantizedNet, T: int, xq) -> np.ndarray:
    """``(B, n_layers)`` active inputs per image and layer: non-zero codes, then neurons of the
    previous layer that spiked at least once in the image (from ``SCNetwork.run_codes``)."""
    from ..sc.network import SCNetwork

    codes = np.asarray(xq, dtype=np.int64)
    codes = codes.reshape(1, -1) if codes.ndim == 1 else codes
    if codes.ndim != 2 or codes.shape[1] != qnet.n_input:
        raise ValueError(f"xq must hold {qnet.n_input} codes per image, not shape {np.shape(xq)}")
    cols = [(codes != 0).sum(axis=1)]
    if len(qnet.layers) > 1:
        spikes = SCNetwork.from_quantized(qnet).run_codes(codes, T, trace=True).spikes
        cols += [np.asarray(spikes[li]).any(axis=0).sum(axis=1) for li in range(len(qnet.layers) - 1)]
    return np.stack(cols, axis=1).astype(np.int64)


def cycles_per_image(qnet: QuantizedNet, T: int, parallelism=(1, 1), *, trace: bool = False, xq=None) -> int:
    """Clocks per image with the input always valid and the outputs always ready (images back to back).

    With ``xq`` (the image's ``n_input`` codes) the exact count for that image (its hidden spikes
    come from ``SCNetwork.run_codes``, the model the core equals); without, the worst case: every
    input non-zero and every hidden neuron spiking.  ``trace=True``: the trace stream on and
    always ready.
    """
    lanes, tlanes = normalize_parallelism(qnet, T, parallelism)
    plans = _plans(qnet, lanes)
    if xq is not None and np.ndim(xq) != 1:
        raise ValueError(f"xq must be one image's {qnet.n_input} codes; use image_cycles for a batch")
    active = [pl.n_in for pl in plans] if xq is None else active_inputs(qnet, T, xq)[0].tolist()
    return _schedule(plans, T, lanes, tlanes, qnet.n_input, active, trace=trace)


def image_cycles(qnet: QuantizedNet, T: int, parallelism, xq, *, trace: bool = False) -> np.ndarray:
    """Exact clocks of each image of the batch ``xq`` ``(B, n_input)`` (one model run for the batch)."""
    lanes, tlanes = normalize_parallelism(qnet, T, parallelism)
    plans = _plans(qnet, lanes)
    act = active_inputs(qnet, T, xq)
    return np.array([_schedule(plans, T, lanes, tlanes, qnet.n_input, row.tolist(), trace=trace) for row in act],
                    dtype=np.int64)


# ----------------------------------------------------------------------------------- the engine
class SCNetworkCore(NetworkRecords, wiring.Component):
    """A QuantizedNet as a streaming inference core (see the module docstring).

    Model: ``SCNetwork.from_quantized(qnet).run_codes(xq, T, trace=True)``.

    Parameters
    ----------
    qnet : QuantizedNet
        Any number of layers; ``config.polarity`` must be ``"signed"``.
    T : int
        Timesteps per image.
    parallelism : (lanes, tlanes)
        ``lanes`` neurons x ``tlanes`` timesteps counted per clock (``lanes * tlanes`` signed
        input/weight counts).  Every time lane holds the comparisons of its own timesteps: with
        ``tlanes = T`` (or a multiple of a Sobol source's window period) each lane is wired to one
        set of constants, the cheapest form; fewer lanes mean ``ceil(T / tlanes)`` passes over
        the weights.
    trace : bool
        Build the trace stream.

    Attributes
    ----------
    i : In(stream.Signature(unsigned(prob_bits)))
        Input codes of one image, ``n_input`` transfers in input order.
    o : Out(stream.Signature(output_layout(n_output, T)))
        One transfer per image: ``counts[c]`` output spikes of class ``c`` over T, and
        ``prediction`` (argmax, lowest index on ties).
    trace_en : In(1)   (``trace`` only)
        Stream the records of the image(s) run while high.
    trace : Out(stream.Signature(trace_layout(...)))   (``trace`` only)
        One word ``(layer, t, neuron, count, current, membrane, spike)`` per neuron and timestep,
        produced as the LIF unit steps (layer by layer; inside a layer by neuron group, then
        time); the core waits for ``ready``.

    Throughput: :func:`cycles_per_image` clocks per image (depends on the image: zero inputs and
    silent neurons cost nothing); :attr:`cycles_per_image` is the worst case.
    """

    @checked_init
    def __init__(self, qnet: QuantizedNet, T: int, *, parallelism=(1, 1), trace: bool = False):
        if not isinstance(qnet, QuantizedNet):
            raise TypeError(f"qnet must be a QuantizedNet, not {qnet!r}")
        check_int("T", T, 1, 1 << 20)
        if not isinstance(trace, bool):
            raise TypeError(f"trace must be a bool, not {trace!r}")
        cfg = qnet.config
        if cfg.polarity != "signed":
            raise ValueError(f"the gateware builds polarity 'signed' only, not {cfg.polarity!r}")
        for idx, layer in enumerate(qnet.layers):
            if layer.input_kind not in ("prob", "spike"):
                raise ValueError(f"layer {idx}: input_kind must be 'prob' or 'spike', not {layer.input_kind!r}")
            if layer.weight_q.size and int(abs(layer.weight_q).max()) > cfg.prob_max:
                raise ValueError(f"layer {idx}: weight codes exceed {cfg.prob_bits} bits")
        self.qnet, self.T, self.trace_enabled = qnet, T, trace
        self.parallelism = normalize_parallelism(qnet, T, parallelism)
        self.lanes, self.tlanes = self.parallelism
        self.passes = math.ceil(T / self.tlanes)
        self.plans = _plans(qnet, self.lanes)
        self.count_bits = count_width(max(pl.n_in for pl in self.plans), cfg.length)
        super().__init__(network_signature(qnet, T, self.count_bits, trace))

    @property
    def cycles_per_image(self) -> int:
        """Worst-case :func:`cycles_per_image` (every input active, trace off)."""
        return cycles_per_image(self.qnet, self.T, self.parallelism)

    def image_cycles(self, xq, *, trace: bool = False) -> int:
        """Exact clocks of the image with codes ``xq`` (:func:`cycles_per_image` with ``xq``)."""
        return cycles_per_image(self.qnet, self.T, self.parallelism, trace=trace, xq=xq)

    # ------------------------------------------------------------------ memory images
    def _weight_images(self) -> tuple[list[list[int]], list[list[int]]]:
        """Per lane: magnitude words (row ``wbase + g*n_in + i``) and sign words (``SIGN_PACK`` rows each)."""
        P = self.lanes
        mags = [[] for _ in range(P)]
        signs = [[] for _ in range(P)]
        for layer, pl in zip(self.qnet.layers, self.plans):
            wq = np.asarray(layer.weight_q, dtype=np.int64)
            for g in range(pl.groups):
                for p in range(P):
                    j = g * P + p
                    row = wq[j] if j < pl.n_out else np.zeros(pl.n_in, dtype=np.int64)
                    mags[p].extend(int(abs(v)) for v in row)
                    signs[p].extend(int(v < 0) for v in row)
        packed = []
        for s in signs:
            packed.append([sum(bit << q for q, bit in enumerate(s[r:r + SIGN_PACK])) for r in range(0, len(s), SIGN_PACK)])
        return mags, packed

    def _bias_image(self) -> list[int]:
        P, fw = self.lanes, self.qnet.config.membrane.width
        words = []
        for layer, pl in zip(self.qnet.layers, self.plans):
            for g in range(pl.groups):
                word = 0
                for p in range(P):
                    j = g * P + p
                    b = int(layer.bias_q[j]) if j < pl.n_out else 0
                    word |= (b & ((1 << fw) - 1)) << (p * fw)
                words.append(word)
        return words

    def _windows(self, role: int) -> dict[int, np.ndarray]:
        """``{layer: (T, L) array}`` of the layer's random numbers of ``role`` per timestep."""
        cfg, T, L = self.qnet.config, self.T, self.qnet.config.length
        out = {}
        for li, pl in enumerate(self.plans):
            if role == ROLE_INPUT and not pl.prob:
                continue
            out[li] = np.asarray(source_values(cfg, li, role, T * L), dtype=np.int64).reshape(T, L)
        return out

    # ------------------------------------------------------------------ elaboration
    def elaborate(self, platform):
        m = Module()
        qnet, cfg, T = self.qnet, self.qnet.config, self.T
        P, TL, passes, plans = self.lanes, self.tlanes, self.passes, self.plans
        L, k, fw = cfg.length, cfg.prob_bits, cfg.membrane.width
        n_layers = len(plans)
        last_layer = n_layers - 1
        max_in = max(pl.n_in for pl in plans)
        idx_bits = bits(max_in - 1)
        max_hid = max([pl.n_out for pl in plans[:-1]], default=1)
        cb = self.count_bits

        def const_array(values, shape):
            return Array([Const(int(v), shape) for v in values])

        lay_shape = range(max(n_layers, 2))
        prob_of = const_array([pl.prob for pl in plans], 1)
        n_in_of = const_array([pl.n_in for pl in plans], range(max_in + 1))
        n_out_of = const_array([pl.n_out for pl in plans], range(max(pl.n_out for pl in plans) + 1))
        groups_of = const_array([pl.groups for pl in plans], range(max(pl.groups for pl in plans) + 1))
        wbase_of = const_array([pl.wbase for pl in plans], range(plans[-1].wbase + plans[-1].groups * plans[-1].n_in + 1))
        bbase_of = const_array([pl.bbase for pl in plans], range(plans[-1].bbase + plans[-1].groups + 1))

        # ---------------- memories
        mags, sign_words = self._weight_images()
        w_depth = len(mags[0])
        wmag = [memory.Memory(shape=k, depth=max(w_depth, 2), init=mags[p]) for p in range(P)]
        wsgn = [memory.Memory(shape=SIGN_PACK, depth=max(len(sign_words[p]), 2), init=sign_words[p]) for p in range(P)]
        for p in range(P):
            m.submodules[f"wmag_{p}"] = wmag[p]
            m.submodules[f"wsgn_{p}"] = wsgn[p]
        wmag_rd = [mem.read_port() for mem in wmag]
        wsgn_rd = [mem.read_port() for mem in wsgn]
        m.submodules.bias = bias_mem = memory.Memory(shape=P * fw, depth=max(plans[-1].bbase + plans[-1].groups, 2),
                                                     init=self._bias_image())
        bias_rd = bias_mem.read_port()
        # active-input lists: region r holds the list of layers l with l % 2 == r; entry = index | code << idx_bits
        m.submodules.lists = list_mem = memory.Memory(shape=idx_bits + k, depth=2 * max_in, init=[])
        list_rd, list_wr = list_mem.read_port(), list_mem.write_port()
        n_act = Array([Signal(range(max_in + 1), name=f"n_active_{r}") for r in range(2)])
        if n_layers > 1:
            # spikes of hidden layers: region l % 2, one word per neuron, pass p in bits p*TL .. p*TL+TL-1
            m.submodules.spikes = spike_mem = memory.Memory(shape=passes * TL, depth=2 * max_hid, init=[])
            spike_rd = spike_mem.read_port()
            spike_wr = spike_mem.write_port(granularity=TL)

        # ---------------- control registers
        lay = Signal(lay_shape)
        g = Signal(range(max(pl.groups for pl in plans) + 1))
        ps = Signal(range(max(passes, 2)))
        cur = Signal(range(max_in + 1))
        wrow = Signal(range(w_depth + max_in + 1))
        issuing = Signal()
        region = lay[0] if n_layers > 1 else Const(0, 1)
        n_cur = n_act[region]

        # ---------------- pipeline: S0 (issue) -> S1 (list entry) -> S2 (weight, spike words) -> S2b (product bits) -> S2c (counts) -> S3 (sums)
        # The read ports have no enable (iCE40 would add a hold multiplexer on the data path): during a
        # stall each port re-reads the address of the item its stage holds, so its word stays put
        # (nothing writes the regions being read).
        stall = Signal()
        v1, v2, v3 = Signal(), Signal(), Signal()
        tag = data.StructLayout({"lay": lay_shape, "g": g.shape(), "ps": ps.shape(),
                                 "first": 1, "last": 1, "real": 1})
        t1, t2, t3 = Signal(tag), Signal(tag), Signal(tag)
        wrow1 = Signal.like(wrow)
        code2 = Signal(k)
        sel2 = Signal(range(SIGN_PACK))
        cnt3 = [[Signal(range(L + 1), name=f"cnt_{p}_{q}") for q in range(TL)] for p in range(P)]
        sgn3 = [Signal(name=f"sign_{p}") for p in range(P)]

        # S0: the item (lay, g, ps, cur) reads its list entry
        laddr0 = Signal.like(list_rd.addr)
        laddr1 = Signal.like(list_rd.addr)
        m.d.comb += [laddr0.eq(region * max_in + cur), list_rd.addr.eq(Mux(stall, laddr1, laddr0))]
        item_last = (cur + 1 >= n_cur)
        with m.If(~stall):
            m.d.sync += [v1.eq(issuing), laddr1.eq(laddr0), t1.lay.eq(lay), t1.g.eq(g), t1.ps.eq(ps), t1.first.eq(cur == 0),
                         t1.last.eq(item_last), t1.real.eq(n_cur != 0), wrow1.eq(wrow)]
            with m.If(issuing):
                with m.If(~item_last):
                    m.d.sync += cur.eq(cur + 1)
                with m.Else():
                    m.d.sync += cur.eq(0)
                    with m.If(ps != passes - 1):
                        m.d.sync += ps.eq(ps + 1)
                    with m.Else():
                        m.d.sync += [ps.eq(0), g.eq(g + 1), wrow.eq(wrow + n_in_of[lay])]
                        with m.If(g == groups_of[lay] - 1):
                            m.d.sync += issuing.eq(0)

        # S1: list entry present -> read weights (and the previous layer's spikes)
        idx1 = list_rd.data[:idx_bits]
        code1 = list_rd.data[idx_bits:]
        sp_bits = int(math.log2(SIGN_PACK))
        waddr = Signal(max(sp_bits + 1, bits(w_depth + max_in)))
        m.d.comb += waddr.eq(wrow1 + idx1)
        waddr2 = Signal.like(waddr)
        w_rd_addr = Mux(stall, waddr2, waddr)
        for p in range(P):
            m.d.comb += [wmag_rd[p].addr.eq(w_rd_addr), wsgn_rd[p].addr.eq(w_rd_addr >> sp_bits)]
        if n_layers > 1:
            saddr = Signal.like(spike_rd.addr)
            saddr2 = Signal.like(spike_rd.addr)
            m.d.comb += [saddr.eq((~t1.lay[0]) * max_hid + idx1), spike_rd.addr.eq(Mux(stall, saddr2, saddr))]
            with m.If(~stall):
                m.d.sync += saddr2.eq(saddr)
        with m.If(~stall):
            m.d.sync += [v2.eq(v1), t2.eq(t1), code2.eq(code1), sel2.eq(waddr[:sp_bits]), waddr2.eq(waddr)]

        # S2: per neuron lane p and time lane q, the count of the L product bits (constants per timestep)
        w_win = self._windows(ROLE_WEIGHT)
        x_win = self._windows(ROLE_INPUT)
        combos = [(li, pp) for li in range(n_layers) for pp in range(passes)]

        def timestep(q, pp):
            t = pp * TL + q
            return t if t < T else q  # lanes past T in the last pass: a valid window (results unused)

        comparators: dict[str, ConstantComparator] = {}

        def lane_bits(q, wins, operand, key):
            """``L`` bits ``[r_c < operand]`` of time lane ``q`` under the item's (layer, pass)."""
            out = []
            for c in range(L):
                vals = [int(wins[li][timestep(q, pp), c]) if li in wins else 0 for li, pp in combos]
                if key not in comparators:
                    comparators[key] = ConstantComparator(m, operand, k, key)
                results = [comparators[key].less_than(v) for v in vals]
                out.append(results[0] if len(set(vals)) == 1 else Array(results)[combo_sel])
            return out

        # S2 -> S2b: register the memories' words (a deep memory is a cascade of block RAMs whose
        # output multiplexer must not share a clock period with the comparisons)
        vb = Signal()
        tb = Signal(tag)
        code_b = Signal(k)
        mag_b = [Signal(k, name=f"mag_{p}") for p in range(P)]
        sgn_b = [Signal(name=f"sgn_{p}") for p in range(P)]
        spk_b = Signal(TL)
        with m.If(~stall):
            m.d.sync += [vb.eq(v2), tb.eq(t2), code_b.eq(code2)]
            m.d.sync += [mag_b[p].eq(wmag_rd[p].data) for p in range(P)]
            m.d.sync += [sgn_b[p].eq(wsgn_rd[p].data.bit_select(sel2, 1)) for p in range(P)]
            if n_layers > 1:
                m.d.sync += spk_b.eq(spike_rd.data.word_select(t2.ps, TL))
        combo_sel = tb.lay * passes + tb.ps

        # S2b: per neuron lane p and time lane q, the count of the L product bits (constants per timestep)
        is_prob_b = prob_of[tb.lay]
        xbits = []
        for q in range(TL):
            if x_win:
                xb = lane_bits(q, x_win, code_b, "x")
                xbits.append([Mux(is_prob_b, b, spk_b[q]) for b in xb] if n_layers > 1 else xb)
            else:
                xbits.append([spk_b[q]] * L)
        # S2b -> S2c: register the L product bits of every (neuron lane, time lane); S2c -> S3: popcounts
        vc = Signal()
        tc = Signal(tag)
        sgn_c = [Signal(name=f"sgn_c_{p}") for p in range(P)]
        prod = [[Signal(L, name=f"prod_{p}_{q}") for q in range(TL)] for p in range(P)]
        with m.If(~stall):
            m.d.sync += [vc.eq(vb), tc.eq(tb), v3.eq(vc), t3.eq(tc)]
            for p in range(P):
                m.d.sync += [sgn_c[p].eq(sgn_b[p]), sgn3[p].eq(sgn_c[p])]
                for q in range(TL):
                    wb = lane_bits(q, w_win, mag_b[p], f"w{p}")
                    m.d.sync += prod[p][q].eq(Cat(*[xbits[q][c] & wb[c] for c in range(L)]))
                    m.d.sync += cnt3[p][q].eq(popcount(list(prod[p][q])))

        # S3: signed accumulate; a block's last item moves the sums to the shadow bank
        acc = [[Signal(signed(cb), name=f"acc_{p}_{q}") for q in range(TL)] for p in range(P)]
        shadow = [[Signal(signed(cb), name=f"shadow_{p}_{q}") for q in range(TL)] for p in range(P)]
        shadow_full = Signal()
        sh_tag = Signal(tag)
        lif_release = Signal()
        bank_free = ~shadow_full  # registered only: the stall must not wait on the LIF unit's logic
        # stall = v3 & t3.last & shadow_full, kept in a register (computed from next-cycle values) so that
        # it reaches the clock enables and address multiplexers straight from a flip-flop
        shadow_full_next = Signal()
        m.d.sync += stall.eq(Mux(stall, v3 & t3.last, vc & tc.last) & shadow_full_next)
        s3_write = Signal()
        m.d.comb += s3_write.eq(v3 & t3.last & bank_free)
        acc_next = [[None] * TL for _ in range(P)]
        for p in range(P):
            for q in range(TL):
                term = Mux(t3.real, Mux(sgn3[p], -cnt3[p][q], cnt3[p][q]), 0)
                nxt = Signal(signed(cb), name=f"acc_next_{p}_{q}")
                m.d.comb += nxt.eq(Mux(t3.first, 0, acc[p][q]) + term)
                acc_next[p][q] = nxt
                with m.If(v3 & ~stall):
                    m.d.sync += acc[p][q].eq(nxt)

        # ---------------- LIF unit: bias, scale, leak/fire/reset over the pass's timesteps
        lif_lay = Signal(lay_shape)
        lif_g = Signal.like(g)
        lif_ps = Signal.like(ps)
        lif_k = Signal(range(max(TL, 2)))
        nt_of = const_array([min(TL, T - pp * TL) for pp in range(passes)], range(TL + 1))
        v = [Signal(signed(fw), name=f"v_{p}") for p in range(P)]
        cur_i = [Signal(signed(fw), name=f"current_{p}") for p in range(P)]
        cur_mt = [Signal(signed(fw + 1), name=f"current_minus_theta_{p}") for p in range(P)]
        cur_c = [Signal(signed(cb), name=f"count_{p}") for p in range(P)]
        nxt_i = [Signal(signed(fw), name=f"next_current_{p}") for p in range(P)]
        nxt_c = [Signal(signed(cb), name=f"next_count_{p}") for p in range(P)]
        spk = [Signal(TL, name=f"spk_{p}") for p in range(P)]
        anyspk = [Signal(name=f"any_{p}") for p in range(P)]
        mult_of = const_array([layer.scale_mult for layer in qnet.layers], unsigned(17))
        beta_of = const_array([layer.beta_q for layer in qnet.layers], unsigned(cfg.beta_format.width))
        theta_of = const_array([layer.threshold_q for layer in qnet.layers], signed(fw))

        def scaled_current(count, bias):
            prod = count.as_signed() * mult_of[lif_lay].as_signed()
            shifted = Array([(prod + Const(1 << (layer.scale_shift - 1), layer.scale_shift + 1).as_signed())
                             >> layer.scale_shift for layer in qnet.layers])[lif_lay]
            return saturate(shifted + bias, cfg.membrane)

        n_valid = Signal(range(P + 1))  # valid lanes of the LIF unit's group
        rem = Signal(signed(bits(max(pl.n_out for pl in plans)) + 2))
        m.d.comb += [rem.eq(n_out_of[lif_lay] - lif_g * P), n_valid.eq(Mux(rem >= P, P, rem))]

        wb_busy = Signal()
        wb_lay = Signal(lay_shape)
        wb_g = Signal.like(g)
        wb_ps = Signal.like(ps)
        wb_spk = [Signal(TL, name=f"wb_spk_{p}") for p in range(P)]
        wb_any = [Signal(name=f"wb_any_{p}") for p in range(P)]
        wb_p = Signal(range(max(P, 2)))

        counts = [Signal(bits(T), name=f"class_count_{c}") for c in range(qnet.n_output)]
        dump_p = Signal(range(max(P, 2)))
        commit = Signal()
        v_next, s_next = [], []
        for p in range(P):
            vn, sn = lif_update_split(v[p], cur_i[p], cur_mt[p], beta_of[lif_lay], theta_of[lif_lay], cfg.membrane,
                                      cfg.beta_format.frac_bits)
            vs, ss = Signal(signed(fw), name=f"v_next_{p}"), Signal(name=f"s_next_{p}")
            m.d.comb += [vs.eq(vn), ss.eq(sn)]
            v_next.append(vs)
            s_next.append(ss)

        def load_step():
            """Two-deep prefetch: the head timestep's current and count into ``next``, ``next`` into the
            step registers (with ``current - theta``, off the membrane loop); shift the bank."""
            for p in range(P):
                bias = bias_rd.data[p * fw:(p + 1) * fw].as_signed()
                m.d.sync += [nxt_i[p].eq(scaled_current(shadow[p][0], bias)), nxt_c[p].eq(shadow[p][0]),
                             cur_i[p].eq(nxt_i[p]), cur_c[p].eq(nxt_c[p]),
                             cur_mt[p].eq(nxt_i[p] - theta_of[lif_lay])]
                for q in range(TL - 1):
                    m.d.sync += shadow[p][q].eq(shadow[p][q + 1])

        m.d.comb += bias_rd.addr.eq(bbase_of[sh_tag.lay] + sh_tag.g)
        with m.FSM(name="lif") as lif_fsm:
            with m.State("IDLE"):
                with m.If(shadow_full):
                    m.d.comb += bias_rd.en.eq(1)
                    m.d.sync += [lif_lay.eq(sh_tag.lay), lif_g.eq(sh_tag.g), lif_ps.eq(sh_tag.ps), lif_k.eq(0)]
                    with m.If(sh_tag.ps == 0):
                        m.d.sync += [x.eq(0) for x in v] + [x.eq(0) for x in anyspk]
                    m.next = "PREP"
            with m.State("PREP"):
                load_step()
                m.next = "PREP2"
            with m.State("PREP2"):
                load_step()
                m.d.sync += dump_p.eq(0)
                m.next = "STEP"
            with m.State("STEP"):
                if self.trace_enabled:
                    pl_ = self.trace.payload
                    recs = Array([Cat(cur_c[p], cur_i[p], v_next[p], s_next[p]) for p in range(P)])
                    rec = Signal(cb + 2 * fw + 1)
                    m.d.comb += rec.eq(recs[dump_p])
                    m.d.comb += [pl_.layer.eq(lif_lay), pl_.t.eq(lif_ps * TL + lif_k),
                                 pl_.neuron.eq(lif_g * P + dump_p), pl_.count.eq(rec[:cb]),
                                 pl_.current.eq(rec[cb:cb + fw]), pl_.membrane.eq(rec[cb + fw:cb + 2 * fw]),
                                 pl_.spike.eq(rec[cb + 2 * fw])]
                    with m.If(self.trace_en):
                        m.d.comb += self.trace.valid.eq(1)
                        with m.If(self.trace.ready):
                            with m.If(dump_p == n_valid - 1):
                                m.d.comb += commit.eq(1)
                            with m.Else():
                                m.d.sync += dump_p.eq(dump_p + 1)
                    with m.Else():
                        m.d.comb += commit.eq(1)
                else:
                    m.d.comb += commit.eq(1)
                with m.If(commit):
                    load_step()
                    m.d.sync += dump_p.eq(0)
                    for p in range(P):
                        m.d.sync += [v[p].eq(v_next[p]), spk[p].bit_select(lif_k, 1).eq(s_next[p]),
                                     anyspk[p].eq(anyspk[p] | s_next[p])]
                    for c in range(qnet.n_output):
                        hit = (lif_lay == last_layer) & (lif_g == c // P) & s_next[c % P]
                        with m.If(hit):
                            m.d.sync += counts[c].eq(counts[c] + 1)
                    m.d.sync += lif_k.eq(lif_k + 1)
                    with m.If(lif_k == nt_of[lif_ps] - 1):
                        m.d.comb += lif_release.eq(1)
                        if n_layers > 1:
                            with m.If(lif_lay == last_layer):
                                m.next = "IDLE"
                            with m.Else():
                                m.next = "HAND"
                        else:
                            m.next = "IDLE"
            if n_layers > 1:
                with m.State("HAND"):
                    with m.If(~wb_busy):
                        m.d.sync += [wb_busy.eq(1), wb_p.eq(0), wb_lay.eq(lif_lay), wb_g.eq(lif_g), wb_ps.eq(lif_ps)]
                        m.d.sync += [wb_spk[p].eq(spk[p]) for p in range(P)]
                        m.d.sync += [wb_any[p].eq(anyspk[p]) for p in range(P)]
                        m.next = "IDLE"
        m.d.comb += shadow_full_next.eq(s3_write | (shadow_full & ~lif_release))
        with m.If(s3_write):  # after the LIF unit's shifts: a new bank wins over the old one's last shift
            m.d.sync += [shadow_full.eq(1), sh_tag.eq(t3)]
            m.d.sync += [shadow[p][q].eq(acc_next[p][q]) for p in range(P) for q in range(TL)]
        with m.Elif(lif_release):
            m.d.sync += shadow_full.eq(0)

        # ---------------- writeback: spikes to the spike memory, spiking neurons to the next list
        load_idx = Signal(idx_bits)
        wb_list_we = Signal()
        wb_list_addr = Signal.like(list_wr.addr)
        wb_list_data = Signal.like(list_wr.data)
        if n_layers > 1:
            wb_j = Signal(range(max_hid + P + 1))
            m.d.comb += wb_j.eq(wb_g * P + wb_p)
            wb_valid = wb_j < n_out_of[wb_lay]
            next_region = ~wb_lay[0]
            wb_word = Signal(TL)
            m.d.comb += wb_word.eq(Array(wb_spk)[wb_p])
            m.d.comb += [spike_wr.addr.eq(wb_lay[0] * max_hid + wb_j), spike_wr.data.eq(Cat(*[wb_word] * passes))]
            final = wb_ps == passes - 1
            with m.If(wb_busy):
                with m.If(wb_valid):
                    m.d.comb += spike_wr.en.eq(1 << wb_ps)
                    with m.If(final & Array(wb_any)[wb_p]):
                        m.d.comb += [wb_list_we.eq(1), wb_list_addr.eq(next_region * max_in + n_act[next_region]),
                                     wb_list_data.eq(wb_j)]
                        m.d.sync += n_act[next_region].eq(n_act[next_region] + 1)
                with m.If((wb_p == P - 1) | (wb_j + 1 >= n_out_of[wb_lay])):
                    m.d.sync += wb_busy.eq(0)
                with m.Else():
                    m.d.sync += wb_p.eq(wb_p + 1)

        # ---------------- main control: LOAD -> START -> layers -> ARGMAX -> OUT
        best = Signal(range(max(qnet.n_output, 2)))
        best_v = Signal(bits(T))
        scan = Signal(range(max(qnet.n_output, 2)))
        m.d.comb += [self.o.payload.counts[c].eq(counts[c]) for c in range(qnet.n_output)]
        m.d.comb += self.o.payload.prediction.eq(best)
        layer_done = ~issuing & ~v1 & ~v2 & ~vb & ~vc & ~v3 & ~shadow_full & ~wb_busy
        with m.FSM(name="control"):
            with m.State("LOAD"):
                m.d.comb += self.i.ready.eq(1)
                with m.If(self.i.valid):
                    with m.If(self.i.payload != 0):
                        m.d.comb += [list_wr.en.eq(1), list_wr.addr.eq(n_act[0]),
                                     list_wr.data.eq(Cat(load_idx, self.i.payload))]
                        m.d.sync += n_act[0].eq(n_act[0] + 1)
                    with m.If(load_idx == qnet.n_input - 1):
                        m.d.sync += load_idx.eq(0)
                        m.next = "START"
                    with m.Else():
                        m.d.sync += load_idx.eq(load_idx + 1)
            with m.State("START"):
                m.d.sync += [lay.eq(0)] + [c.eq(0) for c in counts]
                m.next = "LAYER_START"
            with m.State("LAYER_START"):
                m.d.sync += [issuing.eq(1), g.eq(0), ps.eq(0), cur.eq(0), wrow.eq(wbase_of[lay])]
                if n_layers > 1:
                    m.d.sync += n_act[~lay[0]].eq(0)
                m.next = "LAYER_RUN"
            with m.State("LAYER_RUN"):
                with m.If(layer_done & lif_fsm.ongoing("IDLE")):
                    with m.If(lay == last_layer):
                        m.d.sync += [best.eq(0), best_v.eq(counts[0]), scan.eq(1)]
                        m.next = "ARGMAX" if qnet.n_output > 1 else "OUT"
                    with m.Else():
                        m.d.sync += lay.eq(lay + 1)
                        m.next = "LAYER_START"
            if qnet.n_output > 1:
                with m.State("ARGMAX"):
                    cand = Array(counts)[scan]
                    with m.If(cand > best_v):
                        m.d.sync += [best.eq(scan), best_v.eq(cand)]
                    m.d.sync += scan.eq(scan + 1)
                    with m.If(scan == qnet.n_output - 1):
                        m.next = "OUT"
            with m.State("OUT"):
                m.d.comb += self.o.valid.eq(1)
                with m.If(self.o.ready):
                    m.d.sync += n_act[0].eq(0)
                    m.next = "LOAD"
        with m.If(wb_list_we):
            m.d.comb += [list_wr.en.eq(1), list_wr.addr.eq(wb_list_addr), list_wr.data.eq(wb_list_data)]
        return m

