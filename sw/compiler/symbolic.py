"""Exact symbolic algebra of the equation compiler: polynomials with rational coefficients over *values*.

A neuron step is a list of values (:class:`Value`): the state at the start of the step, the input
current ``I``, and the result of each statement.  A statement's right-hand side is a :class:`Poly`:
a sum of ``coefficient * monomial`` where the coefficient is an exact :class:`fractions.Fraction`
(parameters, constants and ``dt`` are folded into it at compile time) and a monomial is a product
of *atoms*: a value, or a function applied to polynomials (``min``, ``max``, ``abs``, and the
lookup-table functions such as ``exp``).  Nothing here rounds: the fixed-point form
(:mod:`sc_neurocore.compiler.ir`) rounds each statement's exact result once, at its assignment,
and the float form evaluates the same polynomials in float64.

No imports of ours: this module is the bottom of the compiler.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

__all__ = ["Atom", "Poly", "AtomTable"]


@dataclass(frozen=True)
class Atom:
    """One factor of a monomial.

    ``kind``: ``"value"`` (``ref`` is a value index), ``"min"``, ``"max"`` (``args`` two polys),
    ``"abs"`` (one poly) or ``"lut"`` (``name`` the function, ``args`` one poly).
    """

    kind: str
    ref: int = -1
    name: str = ""
    args: tuple = ()

    def values(self) -> set[int]:
        """Indices of every value this atom reads (through its arguments too)."""
        if self.kind == "value":
            return {self.ref}
        out: set[int] = set()
        for a in self.args:
            out |= a.values()
        return out


class AtomTable:
    """Interns atoms to small integers (monomials are sorted tuples of them): one table per neuron."""

    def __init__(self):
        self._ids: dict[Atom, int] = {}
        self.atoms: list[Atom] = []

    def intern(self, atom: Atom) -> int:
        got = self._ids.get(atom)
        if got is None:
            got = self._ids[atom] = len(self.atoms)
            self.atoms.append(atom)
        return got


@dataclass(frozen=True)
class Poly:
    """``sum(coef * prod(atoms))``: ``terms`` is a tuple of ``(monomial, Fraction)`` with non-zero
    coefficients, monomials (sorted tuples of atom ids, ``()`` the constant) each at most once,
    in first-seen order (the order the back-ends add them in)."""

    terms: tuple = ()

    # ----------------------------------------------------------------- construction
    @staticmethod
    def const(c) -> Poly:
        c = Fraction(c)
        return Poly((((), c),)) if c else Poly()

    @staticmethod
    def atom(atom_id: int) -> Poly:
        return Poly((((atom_id,), Fraction(1)),))

    @staticmethod
    def _collect(pairs) -> Poly:
        acc: dict[tuple, Fraction] = {}
        for mono, c in pairs:
            acc[mono] = acc.get(mono, Fraction(0)) + c
        return Poly(tuple((m, c) for m, c in acc.items() if c))

    # ----------------------------------------------------------------- queries
    def is_const(self) -> bool:
        return all(m == () for m, _ in self.terms)

    def const_value(self) -> Fraction:
        """The constant term (the whole value when :meth:`is_const`)."""
        for m, c in self.terms:
            if m == ():
                return c
        return Fraction(0)

    def atom_ids(self) -> set[int]:
        return {a for m, _ in self.terms for a in m}

    def coefficient(self, mono: tuple) -> Fraction:
        for m, c in self.terms:
            if m == mono:
                return c
        return Fraction(0)

    def without(self, mono: tuple) -> Poly:
        return Poly(tuple((m, c) for m, c in self.terms if m != mono))

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other: Poly) -> Poly:
        return Poly._collect(self.terms + other.terms)

    def __neg__(self) -> Poly:
        return Poly(tuple((m, -c) for m, c in self.terms))

    def __sub__(self, other: Poly) -> Poly:
        return self + (-other)

    def scale(self, k) -> Poly:
        k = Fraction(k)
        return Poly(tuple((m, c * k) for m, c in self.terms)) if k else Poly()

    def __mul__(self, other: Poly) -> Poly:
        return Poly._collect((tuple(sorted(m1 + m2)), c1 * c2) for m1, c1 in self.terms for m2, c2 in other.terms)

    def power(self, n: int) -> Poly:
        out = Poly.const(1)
        for _ in range(n):
            out = out * self
        return out
