"""The ports of a network core, as a signature that carries its word layouts, and their decoders.

:class:`NetworkSignature` is the interface of ``SCNetworkCore`` (and of the board flow's
stand-in): ``i`` (a stream of k-bit input codes), ``o`` (a stream of :func:`output_layout`
results) and, when built with a trace layout, ``trace_en`` and ``trace`` (a stream of
:func:`trace_layout` records).  It carries those layouts the way ``stream.Signature`` carries
its payload shape, and decodes the integers a simulator reads on the flattened Verilog ports
(``o__payload``, ``trace__payload``): one word at a time through ``data.Layout.from_bits``, or a
whole batch at once with :func:`decode_words` (NumPy, for co-simulation scoreboards).
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Shape, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..export import QuantizedNet
from .sc_dot import count_width

__all__ = ["NetworkSignature", "bits", "decode_word", "decode_words", "input_bits", "output_layout", "trace_layout"]


def bits(n: int) -> int:
    """Bits of an unsigned value up to ``n`` (at least 1)."""
    return max(1, int(n).bit_length())


def output_layout(n_output: int, T: int) -> data.StructLayout:
    """Result word: ``counts`` (one unsigned counter per class, up to T, class 0 lowest) and ``prediction``."""
    return data.StructLayout({
        "counts": data.ArrayLayout(unsigned(bits(T)), n_output),
        "prediction": unsigned(bits(n_output - 1)),
    })


def trace_layout(qnet: QuantizedNet, T: int, count_bits: int | None = None) -> data.StructLayout:
    """Trace word: one neuron of one layer at one timestep (after the neuron step and reset).

    ``count_bits`` is the width of the signed SC count; by default the engine's
    (``count_width`` of the widest layer input, a recurrent layer's own spikes included, over ``L`` cycles).  After ``spike``, one field per state
    beyond the membrane that the net's neurons carry (``QuantizedNet.extra_states``: ``i_syn`` for a
    Synaptic net, in the membrane format; none for a LIF net, whose word is unchanged).
    """
    if count_bits is None:
        count_bits = count_width(max(layer.n_in + (layer.n_out if layer.recurrent else 0) for layer in qnet.layers),
                                 qnet.config.length)
    fw = qnet.config.membrane.width
    return data.StructLayout({
        "layer": unsigned(bits(len(qnet.layers) - 1)),
        "t": unsigned(bits(T - 1)),
        "neuron": unsigned(bits(max(layer.n_neurons for layer in qnet.layers) - 1)),
        "count": signed(count_bits),
        "current": signed(fw),
        "membrane": signed(fw),
        "spike": 1,
        **{name: signed(fw) for name in qnet.extra_states},
    })


def _leaves(layout: data.Layout, offset: int = 0):
    """``(name, offset, width, signed, length)`` per field: plain shapes (``length`` None) and arrays of them."""
    if not isinstance(layout, data.StructLayout):
        raise TypeError(f"the decoders read StructLayout words (wrap an array in one field), not {layout!r}")
    for name, fld in layout:
        shape = fld.shape
        if isinstance(shape, data.ArrayLayout) and not isinstance(shape.elem_shape, data.Layout):
            elem = Shape.cast(shape.elem_shape)
            yield name, offset + fld.offset, elem.width, elem.signed, shape.length
        elif isinstance(shape, data.Layout):
            raise TypeError(f"field {name!r}: nested layouts are not decoded, flatten {shape!r}")
        else:
            s = Shape.cast(shape)
            yield name, offset + fld.offset, s.width, s.signed, None


def decode_word(layout: data.Layout, value: int) -> dict:
    """The fields of one word (an integer read on a ``*__payload`` bus): ints, lists for array fields.

    Signed fields are sign-extended (``data.Layout.from_bits``).
    """
    layout = data.Layout.cast(layout)
    value = int(value)
    if not 0 <= value < (1 << layout.size):
        raise ValueError(f"{value:#x} is not a {layout.size}-bit word of {layout!r}")
    word = layout.from_bits(value)
    out = {}
    for name, _, _, _, length in _leaves(layout):
        out[name] = [int(v) for v in word[name]] if length is not None else int(word[name])
    return out


def decode_words(layout: data.Layout, words) -> dict[str, np.ndarray]:
    """Every field of a batch of words at once: ``{name: int64 array}``, ``(n,)`` or ``(n, length)`` for arrays.

    ``words`` are non-negative integers of at most ``layout.size`` bits (Python ints of any width,
    or a NumPy integer array).  Fields up to 63 bits wide; signed fields are sign-extended.
    """
    layout = data.Layout.cast(layout)
    nbytes = max(1, (layout.size + 7) // 8)
    words = [int(w) for w in np.asarray(words, dtype=object).reshape(-1)]
    if any(w < 0 or w >> layout.size for w in words):
        raise ValueError(f"a word is negative or wider than the {layout.size} bits of {layout!r}")
    raw = b"".join(w.to_bytes(nbytes, "little") for w in words)
    matrix = np.unpackbits(np.frombuffer(raw, dtype=np.uint8).reshape(len(words), nbytes), axis=1,
                           bitorder="little").astype(np.int64)
    out = {}
    for name, offset, width, is_signed, length in _leaves(layout):
        if width > 63:
            raise ValueError(f"field {name!r} is {width} bits wide; decode_words reads fields up to 63 bits")
        weights = np.left_shift(1, np.arange(width, dtype=np.int64))
        cols = []
        for e in range(1 if length is None else length):
            chunk = matrix[:, offset + e * width:offset + (e + 1) * width]
            v = chunk @ weights
            if is_signed and width:
                v = v - (chunk[:, -1] << width)
            cols.append(v)
        out[name] = cols[0] if length is None else (np.stack(cols, axis=-1) if cols else
                                                    np.zeros((len(words), 0), np.int64))
    return out


def input_bits(qnet: QuantizedNet, T: int) -> int:
    """Width of the core's input word: ``config.prob_bits`` (a probability code), or ``T`` for a spike-input net
    (a spike word, bit ``t`` the input's spike at timestep ``t``: ``sc.network.spike_words``)."""
    return T if qnet.spike_input else qnet.config.prob_bits


class NetworkSignature(wiring.Signature):
    """Ports of a network core, with the layouts of its words.

    Parameters
    ----------
    input_bits : int
        Width of an input word: ``prob_bits`` for a net fed probability codes; ``T`` for a spike-input net
        (``QuantizedNet.spike_input``: one spike word per input, bit ``t`` the spike at timestep ``t``).
    output : data.StructLayout
        Layout of a result word (:func:`output_layout`: ``counts`` and ``prediction``).
    trace : data.StructLayout or None
        Layout of a trace word (:func:`trace_layout`); ``None``: no trace ports.

    Members
    -------
    i : In(stream.Signature(unsigned(input_bits)))
        Input codes (or spike words) of one image, ``n_input`` transfers in input order.
    o : Out(stream.Signature(output))
        One result per image.
    trace_en : In(1)   (with ``trace``)
        Stream the trace records of the image(s) run while high.
    trace : Out(stream.Signature(trace))   (with ``trace``)
        One record per neuron and timestep.
    """

    def __init__(self, input_bits: int, output: data.StructLayout, trace: data.StructLayout | None = None):
        if isinstance(input_bits, bool) or not isinstance(input_bits, int) or not 1 <= input_bits <= 64:
            raise ValueError(f"input_bits must be an integer in [1, 64], not {input_bits!r}")
        if not isinstance(output, data.StructLayout) or {"counts", "prediction"} - {n for n, _ in output}:
            raise TypeError(f"output must be a StructLayout with 'counts' and 'prediction', not {output!r}")
        if trace is not None and not isinstance(trace, data.StructLayout):
            raise TypeError(f"trace must be a StructLayout or None, not {trace!r}")
        self._prob_bits, self._output, self._trace = input_bits, output, trace
        members = {
            "i": In(stream.Signature(unsigned(input_bits))),
            "o": Out(stream.Signature(output)),
        }
        if trace is not None:
            members["trace_en"] = In(1)
            members["trace"] = Out(stream.Signature(trace))
        super().__init__(members)

    @classmethod
    def for_net(cls, qnet: QuantizedNet, T: int, *, trace: bool = False) -> NetworkSignature:
        """The signature of ``SCNetworkCore(qnet, T, trace=trace)`` (any parallelism)."""
        if not isinstance(qnet, QuantizedNet):
            raise TypeError(f"qnet must be a QuantizedNet, not {qnet!r}")
        return cls(input_bits(qnet, T), output_layout(qnet.n_output, T), trace_layout(qnet, T) if trace else None)

    @property
    def input_bits(self) -> int:
        """Width of an input word (:func:`input_bits`)."""
        return self._prob_bits

    @property
    def prob_bits(self) -> int:
        """Width of an input word (the name the board protocol's ``INFO`` uses; ``T`` for a spike-input net)."""
        return self._prob_bits

    @property
    def output_layout(self) -> data.StructLayout:
        """Layout of ``o.payload`` (Verilog ``o__payload``)."""
        return self._output

    @property
    def trace_layout(self) -> data.StructLayout | None:
        """Layout of ``trace.payload`` (Verilog ``trace__payload``), or ``None``."""
        return self._trace

    @property
    def n_output(self) -> int:
        return dict(self._output)["counts"].shape.length

    def __eq__(self, other):
        return (type(other) is type(self) and self._prob_bits == other._prob_bits and self._output == other._output
                and self._trace == other._trace)

    def __hash__(self):
        return hash((type(self), self._prob_bits))

    def __repr__(self):
        return f"NetworkSignature({self._prob_bits}, {self._output!r}, {self._trace!r})"

    def decode_output(self, value: int) -> tuple[list[int], int]:
        """``(counts, prediction)`` from the integer on ``o__payload``."""
        d = decode_word(self._output, value)
        return d["counts"], d["prediction"]

    def decode_trace(self, value: int) -> dict:
        """``{layer, t, neuron, count, current, membrane, spike}`` (and the extra states of a net whose neurons
        carry more, :func:`trace_layout`) from the integer on ``trace__payload``."""
        if self._trace is None:
            raise ValueError("this core has no trace port")
        return decode_word(self._trace, value)

    def decode_outputs(self, words) -> dict[str, np.ndarray]:
        """:func:`decode_words` of result words: ``counts`` ``(n, n_output)``, ``prediction`` ``(n,)``."""
        return decode_words(self._output, words)

    def decode_traces(self, words) -> dict[str, np.ndarray]:
        """:func:`decode_words` of trace words: one ``(n,)`` array per field."""
        if self._trace is None:
            raise ValueError("this core has no trace port")
        return decode_words(self._trace, words)
