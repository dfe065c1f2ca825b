"""Word layouts shared by the network cores: the result word, the trace record, and their decoding."""

from __future__ import annotations

from amaranth.hdl import Shape, signed, unsigned
from amaranth.lib import data, stream
from amaranth.lib.wiring import In, Out

from ..export import QuantizedNet

__all__ = ["NetworkRecords", "bits", "decode_struct", "network_signature", "output_layout", "trace_layout"]


def bits(n: int) -> int:
    """Bits of an unsigned value up to ``n`` (at least 1)."""
    return max(1, int(n).bit_length())


def output_layout(n_output: int, T: int) -> data.StructLayout:
    """Result word: ``counts`` (one unsigned counter per class, up to T) and ``prediction``."""
    return data.StructLayout({
        "counts": data.ArrayLayout(unsigned(bits(T)), n_output),
        "prediction": unsigned(bits(n_output - 1)),
    })


def trace_layout(qnet: QuantizedNet, T: int, count_bits: int) -> data.StructLayout:
    """Trace word: one neuron of one layer at one timestep (after the LIF step and reset)."""
    fw = qnet.config.membrane.width
    return data.StructLayout({
        "layer": unsigned(bits(len(qnet.layers) - 1)),
        "t": unsigned(bits(T - 1)),
        "neuron": unsigned(bits(max(layer.n_out for layer in qnet.layers) - 1)),
        "count": signed(count_bits),
        "current": signed(fw),
        "membrane": signed(fw),
        "spike": 1,
    })


def decode_struct(layout: data.StructLayout, value: int) -> dict:
    """Unpack a flat integer (a Verilog ``*__payload`` bus) into the fields of ``layout``.

    Signed fields are sign-extended; an ``ArrayLayout`` field becomes a list of ints.
    """
    out = {}
    for name, fld in layout:
        shape = fld.shape
        if isinstance(shape, data.ArrayLayout):
            ew = data.Layout.cast(shape).size // shape.length
            elem = shape.elem_shape
            signed_elem = not isinstance(elem, data.Layout) and Shape.cast(elem).signed
            vals = []
            for e in range(shape.length):
                v = (value >> (fld.offset + e * ew)) & ((1 << ew) - 1)
                vals.append(v - (1 << ew) if signed_elem and v >> (ew - 1) else v)
            out[name] = vals
            continue
        width = fld.width
        v = (value >> fld.offset) & ((1 << width) - 1)
        if Shape.cast(shape).signed and width and v >> (width - 1):
            v -= 1 << width
        out[name] = v
    return out


def network_signature(qnet: QuantizedNet, T: int, count_bits: int, trace: bool) -> dict:
    """Members of a network core's signature: ``i`` codes in, ``o`` results out, and the trace stream."""
    sig = {
        "i": In(stream.Signature(unsigned(qnet.config.prob_bits))),
        "o": Out(stream.Signature(output_layout(qnet.n_output, T))),
    }
    if trace:
        sig["trace_en"] = In(1)
        sig["trace"] = Out(stream.Signature(trace_layout(qnet, T, count_bits)))
    return sig


class NetworkRecords:
    """Layouts and decoders of a network core's result and trace words (needs ``qnet``, ``T``, ``count_bits``)."""

    @property
    def output_layout(self) -> data.StructLayout:
        """Layout of ``o.payload`` (Verilog ``o__payload``)."""
        return output_layout(self.qnet.n_output, self.T)

    @property
    def trace_layout(self) -> data.StructLayout:
        """Layout of ``trace.payload`` (Verilog ``trace__payload``)."""
        return trace_layout(self.qnet, self.T, self.count_bits)

    def decode_output(self, value: int) -> tuple[list[int], int]:
        """``(counts, prediction)`` from the integer on ``o__payload``."""
        d = decode_struct(self.output_layout, value)
        return d["counts"], d["prediction"]

    def decode_trace(self, value: int) -> dict:
        """``{layer, t, neuron, count, current, membrane, spike}`` from the integer on ``trace__payload``."""
        return decode_struct(self.trace_layout, value)
