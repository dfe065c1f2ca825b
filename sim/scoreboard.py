"""Scoreboards: RTL integers against the NumPy model's, first mismatch reported with its place.

A :class:`Scoreboard` receives the model's expected arrays and the values a monitor read from
the RTL, compares them exactly (integers, no tolerance) and keeps counts plus the first
mismatch, named by image, timestep, layer and neuron (whatever axes the caller names).
It never computes expected values itself: they always come from ``sc_neurocore.sc``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Mismatch", "MismatchError", "Scoreboard"]


@dataclass(frozen=True)
class Mismatch:
    """One differing integer and where it is."""

    quantity: str
    where: dict
    expected: int
    got: int

    def as_dict(self) -> dict:
        """``{"quantity", "expected", "got", <axis>: index, ...}`` (JSON-ready)."""
        def plain(v):
            return tuple(int(x) for x in v) if isinstance(v, tuple) else int(v)

        return {"quantity": self.quantity, "expected": plain(self.expected), "got": plain(self.got),
                **{k: int(v) for k, v in self.where.items()}}

    def __str__(self) -> str:
        place = ", ".join(f"{k} {v}" for k, v in self.where.items())
        return f"{self.quantity} at {place}: NumPy model {self.expected}, RTL {self.got}"


class MismatchError(AssertionError):
    """Raised by :meth:`Scoreboard.check` when any compared integer differed."""


@dataclass
class Scoreboard:
    """Exact comparison of RTL values with the model's, with the first mismatch kept.

    Attributes
    ----------
    name : str
        What is being checked (shown in messages).
    compared : int
        Integers compared so far.
    mismatches : int
        Integers that differed.
    first : Mismatch | None
        The first mismatch, in the order of :meth:`compare` calls and C order within one.
    by_quantity : dict[str, int]
        Mismatch counts per quantity.
    """

    name: str = "scoreboard"
    compared: int = 0
    mismatches: int = 0
    first: Mismatch | None = None
    by_quantity: dict = field(default_factory=dict)

    def compare(self, quantity: str, expected, got, axes: tuple[str, ...] = (), offsets: dict | None = None,
                **where) -> int:
        """Compare two integer arrays of one shape; returns the number of mismatches found.

        ``axes`` names the axes of the arrays (for example ``("timestep", "neuron")``);
        ``where`` gives fixed coordinates (for example ``image=3, layer=1``).  A shape
        difference counts as one mismatch of the whole array.  ``offsets`` adds a start to
        an axis's index in reports (for example ``{"image": 32}`` for the second batch of 32).
        """
        exp = np.asarray(expected)
        act = np.asarray(got)
        if exp.shape != act.shape:
            self._record(Mismatch(f"{quantity} shape", dict(where), exp.shape, act.shape), 1, quantity)
            return 1
        if exp.dtype.kind not in "iub" or act.dtype.kind not in "iub":
            raise TypeError(f"{self.name}: {quantity} must be compared as integers, not {exp.dtype}/{act.dtype}")
        exp = exp.astype(np.int64)
        act = act.astype(np.int64)
        self.compared += exp.size
        diff = exp != act
        n = int(diff.sum())
        if n:
            idx = np.unravel_index(int(np.flatnonzero(diff)[0]), exp.shape) if exp.ndim else ()
            names = tuple(axes) + tuple(f"axis{i}" for i in range(len(axes), exp.ndim))
            place = dict(where)
            offsets = offsets or {}
            place.update({names[i]: int(j) + int(offsets.get(names[i], 0)) for i, j in enumerate(idx)})
            self._record(Mismatch(quantity, place, int(exp[idx]), int(act[idx])), n, quantity)
        return n

    def _record(self, mismatch: Mismatch, n: int, quantity: str) -> None:
        self.mismatches += n
        self.by_quantity[quantity] = self.by_quantity.get(quantity, 0) + n
        if self.first is None:
            self.first = mismatch

    @property
    def ok(self) -> bool:
        return self.mismatches == 0

    def summary(self) -> str:
        if self.ok:
            return f"{self.name}: {self.compared} integers compared, 0 mismatches"
        per = ", ".join(f"{k}: {v}" for k, v in self.by_quantity.items())
        return (
            f"{self.name}: {self.mismatches} mismatches in {self.compared} integers compared ({per}); "
            f"first: {self.first}"
        )

    def check(self) -> None:
        """Raise :class:`MismatchError` (with :meth:`summary`) if anything differed."""
        if not self.ok:
            raise MismatchError(self.summary())

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "compared": self.compared,
            "mismatches": self.mismatches,
            "by_quantity": dict(self.by_quantity),
            "first": None if self.first is None else str(self.first),
            "first_where": None if self.first is None else self.first.as_dict(),
        }
