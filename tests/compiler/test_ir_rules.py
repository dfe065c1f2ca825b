"""The fixed-point form's integer rules, one operation at a time: constant folding (``ir._fold``, what the compiler
computes for an operation whose operands are all constants) against hand-computed values and against the NumPy
back end's rule for the same operation, and the widths the range analysis gives an interval.

The symbolic front end folds most constant sub-expressions before lowering, so the IR's own folding is reached
only by constants that lowering itself makes; these tests hold its rules to the table in :class:`~ir.Op`
directly."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sc_neurocore.compiler import ir, numpy_backend
from sc_neurocore.compiler.ir import Op, Table

# a table of 5 entries over the integers -2 .. 2 (entries chosen so that no two are equal)
TABLE = Table(function="f", domain=(-2, 2), step_frac=0, lo_i=-2, frac=0, entries=(10, -20, 30, -40, 50))

# (kind, operands, k, mode, value): each value worked out by hand from the rule in ir.Op's docstring
HAND = [
    ("mul", [-7, 6], 0, "", -42),
    ("add", [-7, 6], 0, "", -1),
    ("sub", [-7, 6], 0, "", -13),
    ("neg", [-7], 0, "", 7),
    ("abs", [-7], 0, "", 7),
    ("abs", [7], 0, "", 7),
    ("shl", [-3], 4, "", -48),
    ("min", [-7, 6], 0, "", -7),
    ("max", [-7, 6], 0, "", 6),
    ("shr", [5], 1, "", 2),  # floor(2.5)
    ("shr", [-5], 1, "", -3),  # floor(-2.5)
    ("shr", [5], 1, "round", 3),  # (5 + 1) >> 1
    ("shr", [-5], 1, "round", -2),  # (-5 + 1) >> 1: half up
    ("shr", [-6], 2, "round", -1),  # (-6 + 2) >> 2 = -1 (-1.5 rounds half up to -1)
    ("shr", [100], 3, "round", 13),  # (100 + 4) >> 3 = 13 (12.5 -> 13)
    ("shr", [100], 3, "", 12),
    ("fit", [200], 8, "saturate", 127),
    ("fit", [-200], 8, "saturate", -128),
    ("fit", [127], 8, "saturate", 127),
    ("fit", [-128], 8, "saturate", -128),
    ("fit", [200], 8, "wrap", -56),  # 200 - 256
    ("fit", [-129], 8, "wrap", 127),  # -129 + 256
    ("fit", [128], 8, "wrap", -128),
    ("fit", [-128], 8, "wrap", -128),
    ("fit", [300], 9, "wrap", -212),  # 300 - 512
    ("lut", [-5], 0, "", 10),  # clipped to the first entry
    ("lut", [-1], 0, "", -20),
    ("lut", [0], 0, "", 30),
    ("lut", [2], 0, "", 50),
    ("lut", [9], 0, "", 50),  # clipped to the last entry
    ("cmp", [3, 3], 0, ">", 0),
    ("cmp", [3, 3], 0, ">=", 1),
    ("cmp", [3, 3], 0, "<", 0),
    ("cmp", [3, 3], 0, "<=", 1),
    ("cmp", [4, 3], 0, ">", 1),
    ("cmp", [2, 3], 0, "<", 1),
    ("cmp", [4, 3], 0, "<=", 0),
    ("cmp", [2, 3], 0, ">=", 0),
    ("select", [1, 11, 22], 0, "", 11),
    ("select", [0, 11, 22], 0, "", 22),
    ("select", [-1, 11, 22], 0, "", 11),  # any non-zero condition
]


@pytest.mark.parametrize("kind, xs, k, mode, value", HAND)
def test_constant_folding_by_hand(kind, xs, k, mode, value):
    assert ir._fold(kind, list(xs), k, mode, [TABLE]) == value


def _backend(kind, xs, k, mode):
    """The NumPy back end's value of the same operation on the same integers (its operands as earlier ops)."""
    op = Op(kind, args=tuple(range(len(xs))), k=k, mode=mode)
    vals = [np.int64(x) for x in xs] + [None]
    return int(numpy_backend._op(op, vals, [TABLE]))


def _operand_cases():
    values = [-300, -129, -128, -7, -6, -5, -3, -2, -1, 0, 1, 2, 3, 5, 6, 7, 127, 128, 200, 300]
    pairs = list(itertools.product(values, [-7, -1, 0, 1, 3, 6]))
    for kind in ("mul", "add", "sub", "min", "max"):
        yield from ((kind, [a, b], 0, "") for a, b in pairs)
    for kind in ("neg", "abs"):
        yield from ((kind, [a], 0, "") for a in values)
    for mode in (">", ">=", "<", "<="):
        yield from (("cmp", [a, b], 0, mode) for a, b in pairs)
    for k in (1, 2, 3, 5):
        yield from (("shl", [a], k, "") for a in values)
        yield from (("shr", [a], k, mode) for a in values for mode in ("", "round"))
    for k in (4, 8, 9):
        yield from (("fit", [a], k, mode) for a in values for mode in ("saturate", "wrap"))
    yield from (("lut", [a], 0, "") for a in range(-6, 7))
    yield from (("select", [c, 11, -22], 0, "") for c in (-2, 0, 1, 3))


def test_constant_folding_equals_the_numpy_rule():
    """What the compiler folds is what the stepper would have computed: every kind, signs, ties and edges."""
    bad = [(kind, xs, k, mode) for kind, xs, k, mode in _operand_cases()
           if ir._fold(kind, list(xs), k, mode, [TABLE]) != _backend(kind, xs, k, mode)]
    assert not bad, bad[:10]


@pytest.mark.parametrize("lo, hi, bits", [
    (0, 0, 1), (-1, 0, 1), (0, 1, 2), (-2, 1, 2), (-128, 127, 8), (-129, 127, 9), (-128, 128, 9),
    (0, 255, 9), (-32768, 32767, 16), (5, 9, 5), (-9, -5, 5),
])
def test_width_of_an_interval(lo, hi, bits):
    """Signed bits that hold [lo, hi], by hand: 8 bits hold -128 .. 127, one more value either way needs 9."""
    assert Op("const", lo=lo, hi=hi).width == bits
