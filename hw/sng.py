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

from .checks import checked_init

__all__ = ["SNG", "SNGBank"]


def _check_bits(bits):
    if isinstance(bits, bool) or not isinstance(bits, int):
        raise TypeError(f"bits must be an integer, not {bits!r}")
    if not 1 <= bits <= 32:
        raise ValueError(f"bits must be in [1, 32], not {bits!r}")


class SNG(wiring.Component):
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

    @checked_init
    def __init__(self, bits: int = 8):
        _check_bits(bits)
        self.bits = bits
        super().__init__({"r": In(bits), "q": In(bits), "bit": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.bit.eq(self.r < self.q)
        return m


class SNGBank(wiring.Component):
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

    @checked_init
    def __init__(self, bits: int = 8, lanes: int = 1):
        _check_bits(bits)
        if isinstance(lanes, bool) or not isinstance(lanes, int):
            raise TypeError(f"lanes must be an integer, not {lanes!r}")
        if lanes < 1:
            raise ValueError(f"lanes must be >= 1, not {lanes!r}")
        self.width, self.lanes = bits, lanes
        super().__init__({"r": In(bits), "q": In(data.ArrayLayout(bits, lanes)), "bits": Out(lanes)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.bits.eq(Cat(*[self.r < self.q[i] for i in range(self.lanes)]))
        return m
