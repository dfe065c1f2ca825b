"""The whole SC spiking net in gateware: stream in an image's codes, stream out spike counts and argmax.

Model: :meth:`sc_neurocore.sc.network.SCNetwork.run_codes` ``(xq, T, trace=True)``: every
timestep's per-layer ``sc_counts``, ``currents``, ``membranes``, ``spikes``, the output
``counts`` and ``prediction`` are the same integers (``tests/hw/test_network.py``).

Schedule per image (one :class:`~sc_neurocore.hw.layer.SCDenseLayerCore` per layer, run one
after the other): ``LOAD`` takes the ``n_input`` codes, ``START`` restarts every layer's
sources and membranes, then for ``t = 0 .. T-1`` and ``l = 0 .. n_layers-1`` layer ``l`` runs
timestep ``t`` (its sources are at SC cycle ``t*L`` because each layer advances its own
sources by one window per timestep), the last layer's spikes add to the class counters,
and with tracing on the layer's records of the timestep are streamed out; ``OUT`` offers
the counts and the argmax (lowest index on ties).  :func:`cycles_per_image` gives the clocks.
"""

from __future__ import annotations

from collections.abc import Sequence

from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..export import QuantizedNet
from .checks import check_int, checked_init
from .layer import SCDenseLayerCore, layer_run_cycles

__all__ = ["SCNetworkCore", "cycles_per_image", "normalize_parallelism", "output_layout", "trace_layout"]


def _bits(n: int) -> int:
    """Bits of an unsigned value up to ``n`` (at least 1)."""
    return max(1, int(n).bit_length())


def normalize_parallelism(qnet: QuantizedNet, parallelism) -> tuple[tuple[int, int], ...]:
    """``(lanes, width)`` per layer, clamped to the layer's size.

    ``parallelism`` is one ``(lanes, width)`` pair for every layer or a sequence of pairs, one per layer.
    """
    n = len(qnet.layers)
    if (isinstance(parallelism, Sequence) and len(parallelism) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in parallelism)):
        pairs = [tuple(parallelism)] * n
    elif isinstance(parallelism, Sequence) and len(parallelism) == n and all(
            isinstance(p, Sequence) and len(p) == 2 for p in parallelism):
        pairs = [tuple(p) for p in parallelism]
    else:
        raise ValueError(f"parallelism must be (lanes, width) or {n} such pairs, not {parallelism!r}")
    out = []
    for layer, (lanes, width) in zip(qnet.layers, pairs):
        check_int("lanes", lanes, 1)
        check_int("width", width, 1)
        out.append((min(lanes, layer.n_out), min(width, layer.n_in)))
    return tuple(out)


def cycles_per_image(qnet: QuantizedNet, T: int, parallelism=(1, 1), *, trace: bool = False) -> int:
    """Clocks per image with the input always valid and the outputs always ready.

    ``n_input`` (load) ``+ 2`` (start, output) ``+ T * sum_l (groups_l * chunks_l + 4)``; with
    tracing on, every layer-timestep adds ``groups_l + n_out_l`` clocks (one memory read per
    group, one stream word per neuron).  Images back to back start this many clocks apart.
    """
    check_int("T", T, 1)
    par = normalize_parallelism(qnet, parallelism)
    per_t = 0
    for layer, (lanes, width) in zip(qnet.layers, par):
        per_t += layer_run_cycles(layer.n_in, layer.n_out, lanes, width)
        if trace:
            per_t += -(-layer.n_out // lanes) + layer.n_out
    return qnet.n_input + 2 + T * per_t


def output_layout(n_output: int, T: int) -> data.StructLayout:
    """Result word: ``counts`` (one unsigned counter per class, up to T) and ``prediction``."""
    return data.StructLayout({
        "counts": data.ArrayLayout(unsigned(_bits(T)), n_output),
        "prediction": unsigned(_bits(n_output - 1)),
    })


def trace_layout(qnet: QuantizedNet, T: int, count_bits: int) -> data.StructLayout:
    """Trace word: one neuron of one layer at one timestep (after the LIF step and reset)."""
    fw = qnet.config.membrane.width
    return data.StructLayout({
        "layer": unsigned(_bits(len(qnet.layers) - 1)),
        "t": unsigned(_bits(T - 1)),
        "neuron": unsigned(_bits(max(layer.n_out for layer in qnet.layers) - 1)),
        "count": signed(count_bits),
        "current": signed(fw),
        "membrane": signed(fw),
        "spike": 1,
    })


class SCNetworkCore(wiring.Component):
    """A QuantizedNet as a streaming inference core (see the module docstring).

    Model: ``SCNetwork.from_quantized(qnet).run_codes(xq, T, trace=True)``.

    Parameters
    ----------
    qnet : QuantizedNet
        Any number of layers; ``config.polarity`` must be ``"signed"``.
    T : int
        Timesteps per image.
    parallelism : (lanes, width) or one pair per layer
        Neurons x inputs per neuron handled per clock in each layer (see
        :class:`~sc_neurocore.hw.layer.SCDenseLayerCore`); trades LUTs for clocks.
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
        After layer ``l`` finishes timestep ``t``: ``n_out_l`` words ``(layer, t, neuron,
        count, current, membrane, spike)`` in neuron order; the core waits for ``ready``.

    Latency / throughput: :func:`cycles_per_image` clocks per image.
    """

    @checked_init
    def __init__(self, qnet: QuantizedNet, T: int, *, parallelism=(1, 1), trace: bool = False):
        if not isinstance(qnet, QuantizedNet):
            raise TypeError(f"qnet must be a QuantizedNet, not {qnet!r}")
        check_int("T", T, 1, 1 << 20)
        if not isinstance(trace, bool):
            raise TypeError(f"trace must be a bool, not {trace!r}")
        if qnet.config.polarity != "signed":
            raise ValueError(f"the gateware builds polarity 'signed' only, not {qnet.config.polarity!r}")
        self.qnet, self.T, self.trace_enabled = qnet, T, trace
        self.parallelism = normalize_parallelism(qnet, parallelism)
        self.layers = [
            SCDenseLayerCore(layer, qnet.config, idx, lanes=lanes, width=width, trace=trace)
            for idx, (layer, (lanes, width)) in enumerate(zip(qnet.layers, self.parallelism))
        ]
        self.count_bits = max(core.count_bits for core in self.layers)
        sig = {
            "i": In(stream.Signature(unsigned(qnet.config.prob_bits))),
            "o": Out(stream.Signature(output_layout(qnet.n_output, T))),
        }
        if trace:
            sig["trace_en"] = In(1)
            sig["trace"] = Out(stream.Signature(trace_layout(qnet, T, self.count_bits)))
        super().__init__(sig)

    @property
    def cycles_per_image(self) -> int:
        """:func:`cycles_per_image` of this core (trace off)."""
        return cycles_per_image(self.qnet, self.T, self.parallelism)

    def elaborate(self, platform):
        m = Module()
        qnet, T, n_layers = self.qnet, self.T, len(self.layers)
        for idx, core in enumerate(self.layers):
            m.submodules[f"layer_{idx}"] = core
            if idx > 0:
                m.d.comb += core.spikes_in.eq(self.layers[idx - 1].spikes)
        first, last = self.layers[0], self.layers[-1]
        n_out = qnet.n_output

        counts = [Signal(_bits(T), name=f"class_count_{c}") for c in range(n_out)]
        best, best_v = 0, counts[0]
        for c in range(1, n_out):
            best = Mux(counts[c] > best_v, c, best)
            best_v = Mux(counts[c] > best_v, counts[c], best_v)
        m.d.comb += [self.o.payload.counts[c].eq(counts[c]) for c in range(n_out)]
        m.d.comb += self.o.payload.prediction.eq(best)

        load_idx = Signal(range(max(qnet.n_input, 2)))
        t = Signal(range(max(T, 2)))
        m.d.comb += first.x_code.eq(self.i.payload)
        if self.trace_enabled:
            dump_g = Signal(range(max(2, *(core.groups for core in self.layers))))
            dump_p = Signal(range(max(2, *(core.lanes for core in self.layers))))
            dump_n = Signal(range(max(2, *(core.n_out for core in self.layers))))
            for core in self.layers:
                m.d.comb += core.tr_addr.eq(dump_g)
            m.d.comb += self.trace.payload.t.eq(t)

        with m.FSM(name="control"):
            with m.State("LOAD"):
                m.d.comb += [self.i.ready.eq(1), first.x_wen.eq(self.i.valid)]
                with m.If(self.i.valid):
                    with m.If(load_idx == qnet.n_input - 1):
                        m.d.sync += load_idx.eq(0)
                        m.next = "START"
                    with m.Else():
                        m.d.sync += load_idx.eq(load_idx + 1)

            with m.State("START"):
                m.d.comb += [core.restart.eq(1) for core in self.layers]
                m.d.comb += first.start.eq(1)
                m.d.sync += [t.eq(0)] + [c.eq(0) for c in counts]
                m.next = "WAIT_0"

            def goto_next(idx):
                """Launch the layer after ``idx`` (or the next timestep, or the output)."""
                if idx + 1 < n_layers:
                    m.d.comb += self.layers[idx + 1].start.eq(1)
                    m.next = f"WAIT_{idx + 1}"
                else:
                    with m.If(t == T - 1):
                        m.next = "OUT"
                    with m.Else():
                        m.d.sync += t.eq(t + 1)
                        m.d.comb += first.start.eq(1)
                        m.next = "WAIT_0"

            for idx, core in enumerate(self.layers):
                with m.State(f"WAIT_{idx}"):
                    with m.If(~core.busy):
                        if core is last:
                            m.d.sync += [counts[c].eq(counts[c] + core.spikes[c]) for c in range(n_out)]
                        if self.trace_enabled:
                            with m.If(self.trace_en):
                                m.d.sync += [dump_g.eq(0), dump_p.eq(0), dump_n.eq(0)]
                                m.next = f"DUMP_READ_{idx}"
                            with m.Else():
                                goto_next(idx)
                        else:
                            goto_next(idx)
                if not self.trace_enabled:
                    continue
                with m.State(f"DUMP_READ_{idx}"):
                    m.next = f"DUMP_EMIT_{idx}"
                with m.State(f"DUMP_EMIT_{idx}"):
                    rec = core.tr_data[dump_p]
                    pl = self.trace.payload
                    m.d.comb += [self.trace.valid.eq(1), pl.layer.eq(idx), pl.neuron.eq(dump_n),
                                 pl.count.eq(rec.count), pl.current.eq(rec.current),
                                 pl.membrane.eq(rec.membrane), pl.spike.eq(rec.spike)]
                    with m.If(self.trace.ready):
                        m.d.sync += dump_n.eq(dump_n + 1)
                        with m.If(dump_n == core.n_out - 1):
                            goto_next(idx)
                        with m.Elif(dump_p == core.lanes - 1):
                            m.d.sync += [dump_p.eq(0), dump_g.eq(dump_g + 1)]
                            m.next = f"DUMP_READ_{idx}"
                        with m.Else():
                            m.d.sync += dump_p.eq(dump_p + 1)

            with m.State("OUT"):
                m.d.comb += self.o.valid.eq(1)
                with m.If(self.o.ready):
                    m.next = "LOAD"
        return m
