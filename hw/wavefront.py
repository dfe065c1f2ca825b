"""The whole SC spiking net in gateware: stream in an image's codes, stream out spike counts and argmax.

Model: :meth:`sc_neurocore.sc.network.SCNetwork.run_codes` ``(xq, T, trace=True)``: every
timestep's per-layer ``sc_counts``, ``currents``, ``membranes``, ``spikes``, the output
``counts`` and ``prediction`` are the same integers (``tests/hw/test_network.py``).

Schedule per image (one :class:`~sc_neurocore.hw.layer.SCDenseLayerCore` per layer):
``LOAD`` takes the ``n_input`` codes, ``START`` restarts every layer's sources and
membranes, then ``T + n_layers - 1`` *steps* run the layers as a wavefront: in step ``s``
every layer ``l`` with ``0 <= s - l < T`` runs timestep ``s - l`` concurrently (layer ``l``
reads layer ``l-1``'s spikes of timestep ``s - l``, latched at the end of the previous
step; each layer's sources are at SC cycle ``(s-l)*L`` because a layer advances its own
sources by one window per timestep).  After a step the last layer's spikes add to the
class counters and, with tracing on, the active layers' records are streamed out in
layer order; ``OUT`` offers the counts and the argmax (lowest index on ties).
:func:`cycles_per_image` gives the clocks.
"""

from __future__ import annotations

from collections.abc import Sequence

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import wiring

from ..export import QuantizedNet
from .checks import check_int, checked_init
from .layer import SCDenseLayerCore, active_chunks, layer_run_cycles
from .records import NetworkRecords, bits, decode_struct, network_signature, output_layout, trace_layout

__all__ = [
    "SCWavefrontCore",
    "cycles_per_image",
    "decode_struct",
    "normalize_parallelism",
    "output_layout",
    "trace_layout",
]


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


def cycles_per_image(qnet: QuantizedNet, T: int, parallelism=(1, 1), *, trace: bool = False,
                     skip_zeros: bool = False, xq=None) -> int:
    """Clocks per image with the input always valid and the outputs always ready.

    The core runs the layers as a wavefront: in step ``s`` (``0 .. T + n_layers - 2``) layer
    ``l`` runs timestep ``s - l`` when ``0 <= s - l < T``, all active layers at once; a step
    lasts as long as its slowest active layer (``groups_l * chunks_l + 5`` clocks).  With
    tracing on, each active layer adds ``groups_l + n_out_l`` clocks to its step (one memory
    read per group, one stream word per neuron).  Total: ``n_input`` (load) ``+ 2`` (start,
    output) ``+ sum of the steps``; images back to back start this many clocks apart.

    With ``skip_zeros`` the count depends on the image: pass its codes ``xq`` (``n_input``
    ints); the hidden spikes are taken from ``SCNetwork.run_codes`` (the model the core equals).
    """
    check_int("T", T, 1)
    par = normalize_parallelism(qnet, parallelism)
    n = len(qnet.layers)
    if skip_zeros:
        if xq is None:
            raise ValueError("cycles_per_image with skip_zeros needs the image's codes xq")
        import numpy as np

        from ..sc.network import SCNetwork

        codes = np.asarray(xq, dtype=np.int64).reshape(1, -1)
        spikes = SCNetwork.from_quantized(qnet).run_codes(codes, T, trace=True).spikes

        def run(idx, t):
            lanes, width = par[idx]
            layer = qnet.layers[idx]
            vals = codes[0] if idx == 0 else spikes[idx - 1][t, 0]
            return layer_run_cycles(layer.n_in, layer.n_out, lanes, width, active_chunks(vals, width))
    else:
        fixed = [layer_run_cycles(layer.n_in, layer.n_out, lanes, width) for layer, (lanes, width) in zip(qnet.layers, par)]

        def run(idx, t):
            return fixed[idx]

    dumps = [-(-layer.n_out // lanes) + layer.n_out for layer, (lanes, _) in zip(qnet.layers, par)]
    total = 0
    for s in range(T + n - 1):
        act = [idx for idx in range(n) if 0 <= s - idx < T]
        total += max(run(idx, s - idx) for idx in act)
        if trace:
            total += sum(dumps[idx] for idx in act)
    return qnet.n_input + 2 + total


class SCWavefrontCore(NetworkRecords, wiring.Component):
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
    skip_zeros : bool
        Event-driven layers: input chunks that are all zero (pixels with code 0, neurons that
        did not spike) cost no clocks; the clock count then depends on the image
        (:func:`cycles_per_image` with ``xq``).

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
        After each step, for each active layer ``l`` (in order) and its timestep ``t``:
        ``n_out_l`` words ``(layer, t, neuron, count, current, membrane, spike)`` in neuron
        order; the core waits for ``ready``.

    Latency / throughput: :func:`cycles_per_image` clocks per image.
    """

    @checked_init
    def __init__(self, qnet: QuantizedNet, T: int, *, parallelism=(1, 1), trace: bool = False,
                 skip_zeros: bool = False):
        if not isinstance(qnet, QuantizedNet):
            raise TypeError(f"qnet must be a QuantizedNet, not {qnet!r}")
        check_int("T", T, 1, 1 << 20)
        if not isinstance(trace, bool):
            raise TypeError(f"trace must be a bool, not {trace!r}")
        if qnet.config.polarity != "signed":
            raise ValueError(f"the gateware builds polarity 'signed' only, not {qnet.config.polarity!r}")
        if not isinstance(skip_zeros, bool):
            raise TypeError(f"skip_zeros must be a bool, not {skip_zeros!r}")
        self.qnet, self.T, self.trace_enabled, self.skip_zeros = qnet, T, trace, skip_zeros
        self.parallelism = normalize_parallelism(qnet, parallelism)
        self.layers = [
            SCDenseLayerCore(layer, qnet.config, idx, lanes=lanes, width=width, trace=trace, skip_zeros=skip_zeros)
            for idx, (layer, (lanes, width)) in enumerate(zip(qnet.layers, self.parallelism))
        ]
        self.count_bits = max(core.count_bits for core in self.layers)
        super().__init__(network_signature(qnet, T, self.count_bits, trace))

    @property
    def cycles_per_image(self) -> int:
        """:func:`cycles_per_image` of this core (trace off; the worst case with ``skip_zeros``)."""
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

        counts = [Signal(bits(T), name=f"class_count_{c}") for c in range(n_out)]
        best, best_v = 0, counts[0]
        for c in range(1, n_out):
            best = Mux(counts[c] > best_v, c, best)
            best_v = Mux(counts[c] > best_v, counts[c], best_v)
        m.d.comb += [self.o.payload.counts[c].eq(counts[c]) for c in range(n_out)]
        m.d.comb += self.o.payload.prediction.eq(best)

        load_idx = Signal(range(max(qnet.n_input, 2)))
        n_steps = T + n_layers - 1
        step = Signal(range(max(n_steps, 2)))
        m.d.comb += first.x_code.eq(self.i.payload)

        def active(idx, s):
            """Layer ``idx`` runs timestep ``s - idx`` in step ``s`` (a wavefront over layers)."""
            late = s < T + idx
            return late if idx == 0 else (s >= idx) & late

        if self.trace_enabled:
            dump_g = Signal(range(max(2, *(core.groups for core in self.layers))))
            dump_p = Signal(range(max(2, *(core.lanes for core in self.layers))))
            dump_n = Signal(range(max(2, *(core.n_out for core in self.layers))))
            for core in self.layers:
                m.d.comb += core.tr_addr.eq(dump_g)

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
                m.d.sync += [step.eq(0)] + [c.eq(0) for c in counts]
                m.next = "WAIT"

            def finish_step():
                """Launch the next step's layers (or offer the result)."""
                with m.If(step == n_steps - 1):
                    m.next = "OUT"
                with m.Else():
                    m.d.sync += step.eq(step + 1)
                    m.d.comb += [core.start.eq(active(idx, step + 1)) for idx, core in enumerate(self.layers)]
                    m.next = "WAIT"

            def dump_from(idx0):
                """Trace the active layers ``idx0..`` of this step, in layer order, then finish the step."""
                if idx0 >= n_layers:
                    finish_step()
                    return
                with m.If(active(idx0, step)):
                    m.d.sync += [dump_g.eq(0), dump_p.eq(0), dump_n.eq(0)]
                    m.next = f"DUMP_READ_{idx0}"
                with m.Else():
                    dump_from(idx0 + 1)

            with m.State("WAIT"):
                with m.If(~Cat(*[core.busy for core in self.layers]).any()):
                    with m.If(active(n_layers - 1, step)):
                        m.d.sync += [counts[c].eq(counts[c] + last.spikes[c]) for c in range(n_out)]
                    if self.trace_enabled:
                        with m.If(self.trace_en):
                            dump_from(0)
                        with m.Else():
                            finish_step()
                    else:
                        finish_step()

            if self.trace_enabled:
                pl = self.trace.payload
                for idx, core in enumerate(self.layers):
                    with m.State(f"DUMP_READ_{idx}"):
                        m.next = f"DUMP_EMIT_{idx}"
                    with m.State(f"DUMP_EMIT_{idx}"):
                        rec = core.tr_data[dump_p]
                        m.d.comb += [self.trace.valid.eq(1), pl.layer.eq(idx), pl.t.eq(step - idx),
                                     pl.neuron.eq(dump_n), pl.count.eq(rec.count), pl.current.eq(rec.current),
                                     pl.membrane.eq(rec.membrane), pl.spike.eq(rec.spike)]
                        with m.If(self.trace.ready):
                            m.d.sync += dump_n.eq(dump_n + 1)
                            with m.If(dump_n == core.n_out - 1):
                                dump_from(idx + 1)
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
