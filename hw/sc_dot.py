"""SC dot product: accumulative parallel counter (APC) and the count -> Q8.8 current scaling.

Model: the count is ``C = sum_c sum_i sign_i * (x_ic & w_ic)`` (the signed-unipolar rule of
``docs/interfaces.md``); the current is :func:`sc_neurocore.sc.fixed.scale_count`,
``I = sat(((C * m + 2**(sh-1)) >> sh) + b)``.  :func:`popcount` and :func:`scale_current`
are expression builders the network engine uses too (``hw/count_pipeline.py``,
``hw/neuron_unit.py``), so the unit test of :class:`SCDot` covers them.
"""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal, Value, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..sc.contract import Q8_8, FixedPoint
from .checks import Validated, check_int

__all__ = ["SCDot", "popcount", "saturate", "scale_current", "count_width", "sum_tree"]


def count_width(n_inputs: int, length: int) -> int:
    """Width of a signed count of ``n_inputs`` lanes over ``length`` cycles (``|C| <= n*L``)."""
    return (n_inputs * length).bit_length() + 1


def popcount(bits) -> Value:
    """Number of set bits of ``bits`` (a Value or a list of 1-bit values), as a balanced adder tree."""
    items = list(bits) if not isinstance(bits, Value) else [bits[i] for i in range(len(bits))]
    if not items:
        return Const(0, 1)
    return sum_tree(Value.cast(b).as_unsigned() for b in items)


def sum_tree(values) -> Value:
    """Sum of ``values`` as a balanced adder tree (widths grow by one bit per level)."""
    items = [Value.cast(v) for v in values]
    if not items:
        return Const(0, 1)
    while len(items) > 1:
        nxt = [items[i] + items[i + 1] for i in range(0, len(items) - 1, 2)]
        if len(items) % 2:
            nxt.append(items[-1])
        items = nxt
    return items[0]


def saturate(value, fmt: FixedPoint) -> Value:
    """Clip a signed expression to ``[fmt.min_int, fmt.max_int]`` (result ``signed(fmt.width)``)."""
    value = Value.cast(value)
    out = Mux(value > fmt.max_int, fmt.max_int, Mux(value < fmt.min_int, fmt.min_int, value))
    return out[: fmt.width].as_signed()


def scale_current(count, mult: int, shift: int, bias, fmt: FixedPoint = Q8_8) -> Value:
    """``sat(((count * mult + 2**(shift-1)) >> shift) + bias)`` -- :func:`~sc_neurocore.sc.fixed.scale_count`.

    ``count`` and ``bias`` are signed expressions; ``mult`` (unsigned) and ``shift >= 1``
    are constants.  ``>>`` of a signed value is an arithmetic (floor) shift.
    """
    _check_scale(mult, shift)
    count = Value.cast(count)
    prod = count.as_signed() * Const(mult, mult.bit_length() + 1).as_signed()
    scaled = (prod + Const(1 << (shift - 1), shift + 1).as_signed()) >> shift
    return saturate(scaled + Value.cast(bias).as_signed(), fmt)


def _check_scale(mult, shift):
    if isinstance(mult, bool) or not isinstance(mult, int) or mult < 0:
        raise ValueError(f"mult must be a non-negative integer, not {mult!r}")
    if isinstance(shift, bool) or not isinstance(shift, int) or not 1 <= shift <= 62:
        raise ValueError(f"shift must be an integer in [1, 62], not {shift!r}")


class SCDot(Validated, wiring.Component):
    """Signed SC dot product of ``n_inputs`` lanes over up to ``length`` cycles, with scaling.

    Model: count ``C = sum over enabled cycles of popcount(x & w & ~sign) - popcount(x & w & sign)``;
    current = :func:`sc_neurocore.sc.fixed.scale_count` ``(C, mult, shift, bias, fmt)``.

    Parameters
    ----------
    n_inputs : int
        Lanes ``M``.
    length : int
        Cycles per dot product ``L`` (sizes the counter: ``count_width(M, L)`` bits, signed).
    mult, shift : int
        The layer's ``scale_mult`` / ``scale_shift``.
    fmt : FixedPoint
        Current / bias format (Q8.8).

    Attributes
    ----------
    clear : In(1)
        Start a new dot product: the count restarts from 0 this cycle (adds this cycle's
        products if ``en`` is high too).
    en : In(1)
        Count this cycle's product bits.
    x : In(M)
        Input stream bits of this cycle.
    w : In(M)
        Weight stream bits (``r_w < |w_q|``) of this cycle.
    sign : In(M)
        Weight sign bits (1 = negative).
    bias : In(signed(fmt.width))
        Bias in ``fmt``.
    count : Out(signed(count_width))
        The count so far (registered).
    current : Out(signed(fmt.width))
        ``scale_count(count, ...)``, combinational from ``count``.

    Latency: ``count`` includes a cycle's products one clock after it (1 cycle); ``current``
    follows ``count`` combinationally.
    """

    @staticmethod
    def validate(n_inputs: int, length: int, mult: int, shift: int, fmt: FixedPoint = Q8_8) -> None:
        check_int("n_inputs", n_inputs, 1)
        check_int("length", length, 1)
        _check_scale(mult, shift)
        if not isinstance(fmt, FixedPoint) or not fmt.signed:
            raise TypeError(f"fmt must be a signed FixedPoint, not {fmt!r}")

    def __init__(self, n_inputs: int, length: int, mult: int, shift: int, fmt: FixedPoint = Q8_8):
        self.n_inputs, self.length, self.mult, self.shift, self.fmt = n_inputs, length, mult, shift, fmt
        self.count_width = count_width(n_inputs, length)
        super().__init__({
            "clear": In(1),
            "en": In(1),
            "x": In(n_inputs),
            "w": In(n_inputs),
            "sign": In(n_inputs),
            "bias": In(signed(fmt.width)),
            "count": Out(signed(self.count_width)),
            "current": Out(signed(fmt.width)),
        })

    def elaborate(self, platform):
        m = Module()
        prod = Signal(self.n_inputs)
        m.d.comb += prod.eq(self.x & self.w)
        step = Signal(signed(self.count_width))
        m.d.comb += step.eq(popcount(prod & ~self.sign) - popcount(prod & self.sign))
        base = Mux(self.clear, 0, self.count)
        with m.If(self.en):
            m.d.sync += self.count.eq(base + step)
        with m.Elif(self.clear):
            m.d.sync += self.count.eq(0)
        m.d.comb += self.current.eq(scale_current(self.count, self.mult, self.shift, self.bias, self.fmt))
        return m
