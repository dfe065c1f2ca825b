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

from amaranth.hdl import Const, Module, Signal, Value

from .checks import check_int

__all__ = ["ConstantComparator"]


def _table_bit(index: Value, width: int, fn) -> Value:
    """``fn(index)`` for a ``width``-bit ``index``: a constant truth table selected by the index."""
    return Const(sum(1 << u for u in range(1 << width) if fn(u)), 1 << width).bit_select(index, 1)


class ConstantComparator:
    """``[v < operand]`` for any number of constants ``v``; one shared decode per operand.

    Parameters
    ----------
    m : Module
        Where the comparison signals are driven (``comb``).
    operand : Value
        Unsigned ``k``-bit code.
    k : int
        Width of the operand (>= 1).
    name : str
        Prefix of the generated signal names.
    """

    def __init__(self, m: Module, operand, k: int, name: str):
        if not isinstance(m, Module):
            raise TypeError(f"m must be an amaranth Module, not {m!r}")
        check_int("k", k, 1, 24)
        self.m, self.k, self.name = m, k, name
        operand = Value.cast(operand)
        self.lo_bits = k // 2
        hi_bits = k - self.lo_bits
        oh, ol = operand[self.lo_bits:k], operand[:self.lo_bits]
        self._gt_hi = [_table_bit(oh, hi_bits, lambda u, a=a: a < u) for a in range(1 << hi_bits)]
        self._eq_hi = [_table_bit(oh, hi_bits, lambda u, a=a: a == u) for a in range(1 << hi_bits)]
        self._gt_lo = [_table_bit(ol, self.lo_bits, lambda u, b=b: b < u) for b in range(1 << self.lo_bits)]
        self._cache: dict[int, Signal] = {}

    def less_than(self, v: int) -> Signal:
        """The 1-bit signal ``[v < operand]`` (built once per distinct ``v``)."""
        v = int(v)
        if not 0 <= v < (1 << self.k):
            raise ValueError(f"constant must be in [0, {(1 << self.k) - 1}], not {v}")
        if v not in self._cache:
            vh, vl = v >> self.lo_bits, v & ((1 << self.lo_bits) - 1)
            sig = Signal(name=f"lt_{self.name}_{v}")
            expr = self._gt_hi[vh] | (self._eq_hi[vh] & self._gt_lo[vl]) if self.lo_bits else self._gt_hi[vh]
            self.m.d.comb += sig.eq(expr)
            self._cache[v] = sig
        return self._cache[v]

    def __len__(self) -> int:
        """Distinct constants compared so far."""
        return len(self._cache)
