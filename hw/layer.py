"""One SC dense layer + LIF population: ``N`` neurons x ``M`` inputs, time-multiplexed.

Model: one layer of ``SCNetwork.run(..., trace=True)`` (``docs/interfaces.md``): at timestep
``t`` the layer uses SC cycles ``t*L .. t*L+L-1`` of its own input / weight sources and counts

* ``prob`` layer: ``C_j = sum_i sign_ij * sum_c [rin_c < xq_i] & [rw_c < |wq_ij|]``;
* ``spike`` layer: ``C_j = sum_i s_i * sign_ij * sum_c [rw_c < |wq_ij|]``;

then ``I_j = scale_count(C_j, m, sh, b_j)`` and ``(v_j, s_j) = lif_step(v_j, I_j, beta, theta)``.

Architecture (window-parallel): the layer's two sources (:func:`~sc_neurocore.hw.rng.contract_source`
with ``window = L``) present all ``L`` random numbers of the timestep at once, so an input /
weight pair is counted in one clock (``L`` comparators, ``L`` ANDs, a popcount) and the
sources never replay: they advance by one window at the end of each timestep.  Per clock the
core handles ``lanes`` neurons x ``width`` inputs (``lanes * width`` pairs); a timestep takes
``groups * chunks`` clocks (``groups = ceil(N / lanes)``, ``chunks = ceil(M / width)``) plus a
fixed pipeline drain (:func:`layer_run_cycles`).  Weights live in one
:class:`amaranth.lib.memory.Memory` per lane (word = ``width`` x (sign, k-bit magnitude)),
membranes and biases in memories of ``lanes`` x Q8.8 words, one word per neuron group.
"""

from __future__ import annotations

import math

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out

from ..export import QuantizedLayer
from ..sc.contract import ROLE_INPUT, ROLE_WEIGHT, SCConfig
from .checks import check_int, checked_init
from .lif import lif_update
from .rng import contract_source, restart_port
from .sc_dot import count_width, popcount, scale_current, sum_tree

__all__ = ["SCDenseLayerCore", "active_chunks", "layer_run_cycles", "trace_lane_layout"]

#: Clocks of one timestep beyond ``groups * chunks``: start, memory read, accumulate, scale, LIF, finish.
RUN_OVERHEAD = 5


def layer_run_cycles(n_in: int, n_out: int, lanes: int, width: int, active_chunks: int | None = None) -> int:
    """Clocks from ``start`` to ``busy`` falling again for one timestep of one layer.

    ``groups * chunks + 5``; with ``skip_zeros``, pass ``active_chunks`` (chunks holding a
    non-zero input, see :func:`active_chunks`) and ``chunks`` becomes ``max(1, active_chunks)``.
    """
    lanes, width = min(lanes, n_out), min(width, n_in)
    chunks = math.ceil(n_in / width) if active_chunks is None else max(1, int(active_chunks))
    return math.ceil(n_out / lanes) * chunks + RUN_OVERHEAD


def active_chunks(values, width: int) -> int:
    """Chunks of ``width`` consecutive inputs with at least one non-zero value."""
    values = [int(v) for v in values]
    width = min(width, len(values))
    return sum(any(values[c:c + width]) for c in range(0, len(values), width))


def trace_lane_layout(count_bits: int, fmt_width: int) -> data.StructLayout:
    """One neuron's trace record: signed count, current, membrane (after reset) and spike."""
    return data.StructLayout({
        "count": signed(count_bits),
        "current": signed(fmt_width),
        "membrane": signed(fmt_width),
        "spike": 1,
    })


class SCDenseLayerCore(wiring.Component):
    """One layer of an SC spiking net in gateware (see the module docstring).

    Model: layer ``index`` of ``SCNetwork.run(xq, T, trace=True)`` -- its ``sc_counts``,
    ``currents``, ``membranes`` and ``spikes`` at every timestep.

    Parameters
    ----------
    layer : QuantizedLayer
    config : SCConfig
        ``polarity`` must be ``"signed"``.
    index : int
        Layer index (selects the derived source seeds).
    lanes : int
        Neurons processed in parallel (clamped to ``n_out``).
    width : int
        Inputs per neuron processed per clock (clamped to ``n_in``).
    trace : bool
        Add the trace memory and its read port.
    skip_zeros : bool
        Event-driven: skip input chunks whose inputs are all 0 (codes 0 / no spike); they
        add nothing to any count.  A timestep then takes ``groups * max(1, active chunks) + 5``
        clocks.  With ``width=1`` every zero input is skipped.

    Attributes
    ----------
    restart : In(1)
        Image start: sources back to their seeds, membranes read as 0 on the next timestep.
    start : In(1)
        Run one timestep (ignored while ``busy``).
    busy : Out(1)
        High from the clock after ``start`` until the timestep is done
        (:func:`layer_run_cycles` clocks after ``start``).
    spikes : Out(n_out)
        This layer's spikes of the last finished timestep (updated when ``busy`` falls, stable
        while the next timestep runs, so the next layer can run concurrently).
    x_wen, x_code : In(1), In(prob_bits)   (``prob`` layers only)
        Write the next input code; codes go to inputs 0, 1, ..., n_in-1, then wrap to 0.
    spikes_in : In(n_in)   (``spike`` layers only)
        The previous layer's spikes, captured in the ``start`` cycle.
    tr_addr : In(range(max(groups, 2)))   (``trace`` only)
        Neuron group to read from the trace memory.
    tr_data : Out(ArrayLayout(trace_lane_layout, lanes))   (``trace`` only)
        The last timestep's records of neurons ``tr_addr*lanes + p``; one clock read latency.
    """

    @checked_init
    def __init__(self, layer: QuantizedLayer, config: SCConfig, index: int = 0, *, lanes: int = 1, width: int = 1,
                 trace: bool = False, skip_zeros: bool = False):
        if not isinstance(layer, QuantizedLayer):
            raise TypeError(f"layer must be a QuantizedLayer, not {layer!r}")
        if not isinstance(config, SCConfig):
            raise TypeError(f"config must be an SCConfig, not {config!r}")
        if config.polarity != "signed":
            raise ValueError(f"the gateware builds polarity 'signed' only, not {config.polarity!r}")
        if layer.input_kind not in ("prob", "spike"):
            raise ValueError(f"input_kind must be 'prob' or 'spike', not {layer.input_kind!r}")
        check_int("index", index, 0, (1 << 15) - 1)
        check_int("lanes", lanes, 1)
        check_int("width", width, 1)
        if not isinstance(trace, bool):
            raise TypeError(f"trace must be a bool, not {trace!r}")
        if not isinstance(skip_zeros, bool):
            raise TypeError(f"skip_zeros must be a bool, not {skip_zeros!r}")
        self.skip_zeros = skip_zeros
        k = config.prob_bits
        if layer.weight_q.size and int(abs(layer.weight_q).max()) > config.prob_max:
            raise ValueError(f"weight codes exceed {k} bits (max |weight_q| = {int(abs(layer.weight_q).max())})")
        self.layer, self.config, self.index, self.trace = layer, config, index, trace
        self.n_in, self.n_out = layer.n_in, layer.n_out
        self.lanes, self.width = min(lanes, self.n_out), min(width, self.n_in)
        self.groups = math.ceil(self.n_out / self.lanes)
        self.chunks = math.ceil(self.n_in / self.width)
        self.count_bits = count_width(self.n_in, config.length)
        self.fmt = config.membrane
        self.lane_layout = trace_lane_layout(self.count_bits, self.fmt.width)
        sig = {"restart": In(1), "start": In(1), "busy": Out(1), "spikes": Out(self.n_out)}
        if layer.input_kind == "prob":
            sig.update({"x_wen": In(1), "x_code": In(k)})
        else:
            sig["spikes_in"] = In(self.n_in)
        if trace:
            sig.update({"tr_addr": In(range(max(self.groups, 2))),
                        "tr_data": Out(data.ArrayLayout(self.lane_layout, self.lanes))})
        super().__init__(sig)

    @property
    def run_cycles(self) -> int:
        """Clocks of one timestep (``start`` to ``busy`` low)."""
        return layer_run_cycles(self.n_in, self.n_out, self.lanes, self.width)

    # ------------------------------------------------------------------ memory images
    def weight_init(self, lane: int) -> list[int]:
        """Words of lane ``lane``'s weight memory: address ``g*chunks + ch``, slot ``q`` = input ``ch*width+q``."""
        k, wq = self.config.prob_bits, self.layer.weight_q
        words = []
        for g in range(self.groups):
            j = g * self.lanes + lane
            for ch in range(self.chunks):
                word = 0
                for q in range(self.width):
                    i = ch * self.width + q
                    w = int(wq[j, i]) if j < self.n_out and i < self.n_in else 0
                    word |= ((abs(w) & ((1 << k) - 1)) | (int(w < 0) << k)) << (q * (k + 1))
                words.append(word)
        return words

    def _bias_init(self) -> list[int]:
        fw = self.fmt.width
        words = []
        for g in range(self.groups):
            word = 0
            for p in range(self.lanes):
                j = g * self.lanes + p
                b = int(self.layer.bias_q[j]) if j < self.n_out else 0
                word |= (b & ((1 << fw) - 1)) << (p * fw)
            words.append(word)
        return words

    def elaborate(self, platform):
        m = Module()
        cfg, L, k, fw = self.config, self.config.length, self.config.prob_bits, self.fmt.width
        lanes, width, groups, chunks = self.lanes, self.width, self.groups, self.chunks
        prob = self.layer.input_kind == "prob"

        # ---- sources: all L random numbers of this timestep side by side
        src_w, w_restart = contract_source(cfg, self.index, ROLE_WEIGHT, window=L)
        m.submodules.src_w = src_w
        m.d.comb += [src_w.load.eq(self.restart), restart_port(src_w).eq(w_restart)]
        if prob:
            src_in, in_restart = contract_source(cfg, self.index, ROLE_INPUT, window=L)
            m.submodules.src_in = src_in
            m.d.comb += [src_in.load.eq(self.restart), restart_port(src_in).eq(in_restart)]

        # ---- memories
        wmems = []
        for p in range(lanes):
            mem = memory.Memory(shape=width * (k + 1), depth=max(groups * chunks, 2), init=self.weight_init(p))
            m.submodules[f"weights_{p}"] = mem
            wmems.append(mem.read_port())
        m.submodules.bias = bias_mem = memory.Memory(shape=lanes * fw, depth=max(groups, 2), init=self._bias_init())
        bias_rd = bias_mem.read_port()
        m.submodules.membrane = v_mem = memory.Memory(shape=lanes * fw, depth=max(groups, 2), init=[])
        v_rd, v_wr = v_mem.read_port(), v_mem.write_port()
        if self.trace:
            m.submodules.trace = tr_mem = memory.Memory(shape=data.ArrayLayout(self.lane_layout, lanes),
                                                        depth=max(groups, 2), init=[])
            tr_wr, tr_rd = tr_mem.write_port(), tr_mem.read_port()
            m.d.comb += [tr_rd.addr.eq(self.tr_addr), self.tr_data.eq(tr_rd.data)]
        if prob:
            m.submodules.inputs = x_mem = memory.Memory(shape=width * k, depth=max(chunks, 2), init=[])
            x_wr = x_mem.write_port(granularity=k)
            x_rd = x_mem.read_port()
            x_addr = Signal(range(max(chunks, 2)))
            x_slot = Signal(range(max(width, 2)))
            m.d.comb += [x_wr.addr.eq(x_addr), x_wr.data.eq(Cat(*[self.x_code] * width))]
            with m.If(self.x_wen):
                m.d.comb += x_wr.en.eq(1 << x_slot)
                last_slot = (x_slot == width - 1) | ((x_addr == chunks - 1) & (x_slot == (self.n_in - 1) % width))
                with m.If(last_slot):
                    m.d.sync += x_slot.eq(0)
                    m.d.sync += x_addr.eq(Mux(x_addr == chunks - 1, 0, x_addr + 1))
                with m.Else():
                    m.d.sync += x_slot.eq(x_slot + 1)

        # ---- stage A: issue addresses (g, ch)
        running = Signal()
        issuing = Signal()
        fresh = Signal(init=1)
        g = Signal(range(max(groups, 2)))
        ch = Signal(range(max(chunks, 2)))
        m.d.comb += self.busy.eq(running)
        if not prob:
            padded = Signal(chunks * width)  # captured at start: the producer may finish mid-run
            with m.If(self.start & ~running):
                m.d.sync += padded.eq(self.spikes_in)
        if self.skip_zeros:
            # chunks whose inputs are all 0 contribute nothing: visit only the others (at least one)
            if prob:
                nz = Signal(chunks)
                with m.If(self.x_wen):
                    with m.If((x_addr == 0) & (x_slot == 0)):
                        m.d.sync += nz.eq(self.x_code != 0)
                    with m.Else():
                        m.d.sync += nz.bit_select(x_addr, 1).eq(nz.bit_select(x_addr, 1) | (self.x_code != 0))
                mask = nz
            else:
                spin = Signal(chunks * width)
                m.d.comb += spin.eq(self.spikes_in)

                def any_chunks(vec):
                    return Cat(*[vec[c * width:(c + 1) * width].any() for c in range(chunks)])

                mask = Mux(self.start & ~running, any_chunks(spin), any_chunks(padded))
            eff = Signal(chunks)
            m.d.comb += eff.eq(Mux(mask == 0, 1, mask))
            above = Signal(chunks)
            m.d.comb += above.eq(eff & ~((Const(2, chunks + 2) << ch) - 1)[:chunks])
            first_ch, next_ch = Signal.like(ch), Signal.like(ch)
            for c in reversed(range(chunks)):  # last assignment wins: the lowest set bit
                with m.If(eff[c]):
                    m.d.comb += first_ch.eq(c)
                with m.If(above[c]):
                    m.d.comb += next_ch.eq(c)
            has_next = above.any()
        else:
            first_ch, next_ch, has_next = 0, ch + 1, ch != chunks - 1
        waddr = Signal(range(max(groups * chunks, 2)))
        m.d.comb += waddr.eq(g * chunks + ch)
        for rd in wmems:
            m.d.comb += rd.addr.eq(waddr)
        if prob:
            m.d.comb += x_rd.addr.eq(ch)
        with m.If(self.start & ~running):
            m.d.sync += [running.eq(1), issuing.eq(1), g.eq(0), ch.eq(first_ch)]
        with m.If(issuing):
            with m.If(has_next):
                m.d.sync += ch.eq(next_ch)
            with m.Else():
                m.d.sync += ch.eq(first_ch)
                with m.If(g == groups - 1):
                    m.d.sync += issuing.eq(0)
                with m.Else():
                    m.d.sync += g.eq(g + 1)

        # ---- stage B: read data present; count this chunk's pairs, accumulate
        s1_valid, s1_first, s1_last = Signal(), Signal(), Signal()
        s1_g = Signal(range(max(groups, 2)))
        s1_ch = Signal(range(max(chunks, 2)))
        m.d.sync += [s1_valid.eq(issuing), s1_first.eq(ch == first_ch), s1_last.eq(~has_next),
                     s1_g.eq(g), s1_ch.eq(ch)]
        rw = [src_w.values[c] for c in range(L)]
        if prob:
            rin = [src_in.values[c] for c in range(L)]
            xbits = []
            for q in range(width):
                xq = x_rd.data[q * k:(q + 1) * k]
                xbits.append([rin[c] < xq for c in range(L)])
        else:
            chunk_spikes = padded.word_select(s1_ch, width)
        accs = [Signal(signed(self.count_bits), name=f"acc_{p}") for p in range(lanes)]
        for p in range(lanes):
            terms = []
            for q in range(width):
                word = wmems[p].data[q * (k + 1):(q + 1) * (k + 1)]
                mag, sgn = word[:k], word[k]
                # count of this pair's L product bits, then its sign: one popcount per pair
                cnt = popcount([(xbits[q][c] if prob else chunk_spikes[q]) & (rw[c] < mag) for c in range(L)])
                terms.append(Mux(sgn, -cnt, cnt))
            lane_sum = Signal(signed(count_width(width, L)), name=f"lane_sum_{p}")
            m.d.comb += lane_sum.eq(sum_tree(terms))
            with m.If(s1_valid):
                m.d.sync += accs[p].eq(Mux(s1_first, 0, accs[p]) + lane_sum)

        # ---- stage C: scale the count to a current (bias read issued in stage B)
        s2_valid = Signal()
        s2_g = Signal(range(max(groups, 2)))
        m.d.sync += [s2_valid.eq(s1_valid & s1_last), s2_g.eq(s1_g)]
        m.d.comb += bias_rd.addr.eq(s1_g)
        lyr = self.layer
        counts_c = [Signal(signed(self.count_bits), name=f"count_{p}") for p in range(lanes)]
        currents = [Signal(signed(fw), name=f"current_{p}") for p in range(lanes)]
        s3_valid = Signal()
        s3_g = Signal(range(max(groups, 2)))
        m.d.sync += [s3_valid.eq(s2_valid), s3_g.eq(s2_g)]
        m.d.comb += v_rd.addr.eq(s2_g)  # membrane read issued in stage C, data in stage D
        for p in range(lanes):
            bias = bias_rd.data[p * fw:(p + 1) * fw].as_signed()
            m.d.sync += [counts_c[p].eq(accs[p]),
                         currents[p].eq(scale_current(accs[p], lyr.scale_mult, lyr.scale_shift, bias, self.fmt))]

        # ---- stage D: leak, fire; write membrane, spikes and trace
        spikes_reg = Signal(groups * lanes)
        spikes_out = Signal(self.n_out)  # latched when the timestep finishes: stable during the next run
        m.d.comb += self.spikes.eq(spikes_out)
        new_v, new_s = [], []
        for p in range(lanes):
            v_old = Mux(fresh, 0, v_rd.data[p * fw:(p + 1) * fw].as_signed())
            v2, spk = lif_update(v_old, currents[p], int(lyr.beta_q), int(lyr.threshold_q), self.fmt,
                                 cfg.beta_format.frac_bits)
            vn = Signal(signed(fw), name=f"v_next_{p}")
            sn = Signal(name=f"spike_{p}")
            m.d.comb += [vn.eq(v2), sn.eq(spk)]
            new_v.append(vn)
            new_s.append(sn)
            if self.trace:
                m.d.comb += [tr_wr.data[p].count.eq(counts_c[p]), tr_wr.data[p].current.eq(currents[p]),
                             tr_wr.data[p].membrane.eq(vn), tr_wr.data[p].spike.eq(sn)]
        m.d.comb += [v_wr.addr.eq(s3_g), v_wr.data.eq(Cat(*new_v)), v_wr.en.eq(s3_valid)]
        if self.trace:
            m.d.comb += [tr_wr.addr.eq(s3_g), tr_wr.en.eq(s3_valid)]
        with m.If(s3_valid):
            m.d.sync += spikes_reg.word_select(s3_g, lanes).eq(Cat(*new_s))

        # ---- finish: advance the sources one window, membranes are live from now on
        with m.If(running & ~issuing & ~s1_valid & ~s2_valid & ~s3_valid & ~self.start):
            m.d.sync += [running.eq(0), fresh.eq(0), spikes_out.eq(spikes_reg[: self.n_out])]
            m.d.comb += src_w.en.eq(1)
            if prob:
                m.d.comb += src_in.en.eq(1)
        with m.If(self.restart):
            m.d.sync += fresh.eq(1)
        return m

