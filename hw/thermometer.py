"""Comparisons of one code against many constants, as LUT logic (no carry chains).

Model: ``[v < x]`` for an unsigned ``k``-bit signal ``x`` and integer constants ``v`` in
``[0, 2**k)`` -- the SNG's product bit when the random number ``v`` is a build-time constant
(``docs/gateware.md``, "Comparisons without carry chains").

``x`` is split into its high and low halves; three banks of truth tables on the halves
(``[a < xh]``, ``[a == xh]``, ``[b < xl]``) are shared by every constant, and each constant
costs one gate: ``[v < x] = [vh < xh] | ([vh == xh] & [vl < xl])``.  Each table is a constant
indexed by the half (one LUT4 on the iCE40 for 4-bit halves); Yosys would otherwise map each
``<`` against a constant to a carry chain of ``k`` cells.
"""

from __future__ import annotations

from amaranth.hdl import Const, Module, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .checks import Validated, check_int

__all__ = ["ConstantComparator"]


def _table_bit(index: Value, width: int, fn) -> Value:
    """``fn(index)`` for a ``width``-bit ``index``: a constant truth table selected by the index."""
    return Const(sum(1 << u for u in range(1 << width) if fn(u)), 1 << width).bit_select(index, 1)


class ConstantComparator(Validated, wiring.Component):
    """``[v < operand]`` for each of a set of constants ``v``; one shared decode of the operand.

    Model: ``[v < x for v in constants]`` (Python's ``<`` on unsigned integers).

    Parameters
    ----------
    k : int
        Width of the operand (1..24).
    constants : iterable of int
        The constants, each in ``[0, 2**k)``; duplicates are compared once.

    Attributes
    ----------
    operand : In(k)
        Unsigned code ``x``.
    less_<v> : Out(1), one per constant ``v``
        ``v < operand`` (:meth:`less_than` gives the port of a constant; :attr:`constants` lists
        them in ascending order).

    One 1-bit port per constant, not one vector: an event-driven simulator (Icarus) wakes every
    reader of a vector when any of its bits changes, and a vector of 256 comparisons read bit by
    bit by 256 products woke 65,536 processes per new operand (the digits engine ran at 11 cycles/s
    under Icarus; with single-bit ports, several hundred).  Synthesis sees the same logic.

    Latency: combinational (0 cycles).
    """

    @staticmethod
    def validate(k: int, constants) -> None:
        check_int("k", k, 1, 24)
        values = list(constants)
        if not values:
            raise ValueError("constants must not be empty")
        for v in values:
            check_int("constant", v, 0, (1 << k) - 1)

    def __init__(self, k: int, constants):
        self.k = k
        self.constants = tuple(sorted({int(v) for v in constants}))
        self._index = set(self.constants)
        super().__init__({"operand": In(k), **{f"less_{v}": Out(1) for v in self.constants}})

    def less_than(self, v: int) -> Value:
        """The 1-bit port ``[v < operand]`` of the constant ``v`` (one of :attr:`constants`)."""
        if v not in self._index:
            raise ValueError(f"{v!r} is not one of this comparator's constants")
        return getattr(self, f"less_{v}")

    def elaborate(self, platform):
        m = Module()
        k = self.k
        lo_bits = k // 2
        hi_bits = k - lo_bits
        oh, ol = self.operand[lo_bits:k], self.operand[:lo_bits]
        gt_hi = [_table_bit(oh, hi_bits, lambda u, a=a: a < u) for a in range(1 << hi_bits)]
        eq_hi = [_table_bit(oh, hi_bits, lambda u, a=a: a == u) for a in range(1 << hi_bits)]
        gt_lo = [_table_bit(ol, lo_bits, lambda u, b=b: b < u) for b in range(1 << lo_bits)]
        for v in self.constants:
            vh, vl = v >> lo_bits, v & ((1 << lo_bits) - 1)
            m.d.comb += self.less_than(v).eq(gt_hi[vh] | (eq_hi[vh] & gt_lo[vl]) if lo_bits else gt_hi[vh])
        return m
