"""Stochastic number generators: the comparator ``bit = r < q`` and banks sharing one source.

Model: the contract's SNG rule (``sc_neurocore.sc.contract``): a k-bit code ``q`` and a
k-bit random number ``r`` give ``bit = r < q``; the NumPy model builds the same bits from
:func:`sc_neurocore.sc.sources.source_values`.  Lane rule: every input lane of a layer
shares the layer's input source, every weight lane shares its weight source, so a bank
has one ``r`` and many ``q``.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .checks import Validated, check_int

__all__ = ["SNG", "SNGBank"]


class SNG(Validated, wiring.Component):
    """One comparator SNG.

    Attributes
    ----------
    r : In(bits)
        Random number of this SC cycle (unsigned).
    q : In(bits)
        Probability code (unsigned, ``P = q / 2**bits``).
    bit : Out(1)
        ``r < q``.

    Latency: combinational (0 cycles).
    """

    @staticmethod
    def validate(bits: int = 8) -> None:
        check_int("bits", bits, 1, 32)

    def __init__(self, bits: int = 8):
        self.bits = bits
        super().__init__({"r": In(bits), "q": In(bits), "bit": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.bit.eq(self.r < self.q)
        return m


class SNGBank(Validated, wiring.Component):
    """``lanes`` comparators sharing one random number (the contract's lane rule).

    Attributes
    ----------
    r : In(bits)
        The shared random number.
    q : In(ArrayLayout(bits, lanes))
        One code per lane.
    bits : Out(lanes)
        ``bits[i] = r < q[i]``.

    Latency: combinational (0 cycles).
    """

    @staticmethod
    def validate(bits: int = 8, lanes: int = 1) -> None:
        check_int("bits", bits, 1, 32)
        check_int("lanes", lanes, 1)

    def __init__(self, bits: int = 8, lanes: int = 1):
        self.width, self.lanes = bits, lanes
        super().__init__({"r": In(bits), "q": In(data.ArrayLayout(bits, lanes)), "bits": Out(lanes)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.bits.eq(Cat(*[self.r < self.q[i] for i in range(self.lanes)]))
        return m
