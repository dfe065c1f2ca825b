"""The range analysis and the lowering's choices, against hand-worked values and plain integer references.

* ``ir._interval``: each operation's interval from its operands', worked by hand (sound and tight);
* ``ir._emit``: the int64 guard at its exact bounds, one operation per distinct (kind, operands);
* every compiled program's intervals hold every value a sweep of the whole format reaches, and a comparison
  (or a choice between comparisons) is exactly ``[0, 1]``;
* ``split_saturation`` at the saturation's edges (thresholds at the format's ends, resets that leave it) equals
  a reference written here with NumPy integers;
* tables: the step chosen for ``lut_bits``, refusals and the held intervals of ``overflow``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from sc_neurocore.compiler import EquationError, from_equations, ir, numpy_backend
from sc_neurocore.compiler.ir import INT_LIMIT, Op, Table

# ---------------------------------------------------------------------------------------------- _interval


def _iv(lo, hi):
    return Op("input", lo=lo, hi=hi)


TABLE = Table(function="f", domain=(-2, 2), step_frac=0, lo_i=-2, frac=0, entries=(10, -20, 30, -40, 50))

# (kind, a, b, k, mode, interval): worked by hand from the rules of ir.Op
INTERVALS = [
    ("neg", (-3, 5), None, 0, "", (-5, 3)),
    ("mul", (-3, 5), (-2, 4), 0, "", (-12, 20)),
    ("sub", (-3, 5), (-2, 4), 0, "", (-7, 7)),
    ("shl", (-3, 5), None, 2, "", (-12, 20)),
    ("shr", (-13, 11), None, 3, "round", (-2, 1)),  # (-13 + 4) >> 3 = -2, (11 + 4) >> 3 = 1
    ("shr", (-12, 12), None, 3, "round", (-1, 2)),  # -8 >> 3, 16 >> 3
    ("shr", (-12, 12), None, 3, "floor", (-2, 1)),
    ("min", (-3, 5), (-7, 2), 0, "", (-7, 2)),
    ("max", (-3, 5), (-7, 2), 0, "", (-3, 5)),
    ("abs", (2, 5), None, 0, "", (2, 5)),
    ("abs", (0, 4), None, 0, "", (0, 4)),
    ("abs", (-1, 3), None, 0, "", (0, 3)),
    ("abs", (-5, -2), None, 0, "", (2, 5)),
    ("abs", (-4, 0), None, 0, "", (0, 4)),
    ("abs", (-4, 1), None, 0, "", (0, 4)),
    ("abs", (-3, 5), None, 0, "", (0, 5)),
    ("abs", (-7, 4), None, 0, "", (0, 7)),
    ("lut", (-1, 1), None, 0, "", (-40, 30)),  # entries -20, 30, -40
    ("lut", (-9, -1), None, 0, "", (-20, 10)),  # clipped to the first two entries
    ("lut", (1, 9), None, 0, "", (-40, 50)),  # clipped to the last three
    ("lut", (0, 0), None, 0, "", (30, 30)),
]


@pytest.mark.parametrize(("kind", "a", "b", "k", "mode", "want"), INTERVALS)
def test_interval_of_each_operation_by_hand(kind, a, b, k, mode, want):
    got = ir._interval(kind, _iv(*a), _iv(*b) if b else None, k, mode, [], [TABLE])
    assert got == want


@pytest.mark.parametrize(("lo", "hi", "bits"), [(-1, -1, 1), (-4, -4, 3), (-2, -2, 2), (-3, -1, 3), (-8, -5, 4)])
def test_width_of_negative_intervals(lo, hi, bits):
    """Two's complement: -1 needs 1 bit, -2 and -4 need 2 and 3, -8 needs 4 (by hand)."""
    assert Op("input", lo=lo, hi=hi).width == bits


def test_interval_of_an_unknown_operation_is_an_error():
    with pytest.raises(AssertionError):
        ir._interval("cmp", _iv(0, 1), _iv(0, 1), 0, ">", [], [])


# ---------------------------------------------------------------------------------------------- _emit


def _ctx():
    return ir._Ctx(None, {}, "saturate", "truncate", 16, 8, [], [], {}, {}, "x = y")


def test_int64_guard_at_its_exact_bounds():
    assert INT_LIMIT == 2**62  # int64 with a bit to spare (the docstring of INT_LIMIT)
    ctx = _ctx()
    ir._emit(ctx, "input", lo=-(2**62), hi=2**62 - 1)  # the widest interval allowed
    for lo, hi in ((-(2**62) - 1, 0), (0, 2**62)):
        with pytest.raises(EquationError, match="needs 64 bits, more than the 63"):
            ir._emit(ctx, "input", lo=lo, hi=hi)


def test_one_operation_per_kind_and_operands():
    ctx = _ctx()
    a = ir._emit(ctx, "input", lo=-4, hi=3)
    b = ir._emit(ctx, "state", lo=-4, hi=3)
    c1, c2 = ir._const(ctx, 5), ir._const(ctx, 5)
    s1, s2 = ir._emit(ctx, "add", (a, b)), ir._emit(ctx, "add", (a, b))
    assert c1 == c2 and s1 == s2 and ir._emit(ctx, "sub", (a, b)) != s1
    assert len(ctx.ops) == 5 and ctx.ops[s1].lo == -8 and ctx.ops[s1].hi == 6


# ------------------------------------------------------------------- every program's intervals hold (a sweep)

V = np.arange(-32768, 32768, 3)
CURRENTS = (-32768, -20000, -1, 0, 1, 20000, 32767)


def _all_values(fixed, state, cur, params=None):
    """Every operation's values on a batch (the back end's rule of each operation)."""
    vals: list = [None] * len(fixed.ops)
    for name, idx in fixed.state_ops.items():
        vals[idx] = np.asarray(state[name], np.int64)
    vals[fixed.input_op] = np.asarray(cur, np.int64)
    for name, idx in fixed.param_ops.items():
        vals[idx] = np.int64((params or fixed.params)[name])
    for i, op in enumerate(fixed.ops):
        if vals[i] is None:
            vals[i] = numpy_backend._op(op, vals, fixed.tables)
    return vals


def _ancestors(fixed, roots):
    out, todo = set(), list(roots)
    while todo:
        i = todo.pop()
        if i not in out:
            out.add(i)
            todo += fixed.ops[i].args
    return out


def _check_intervals(fixed, params=None):
    """Sound: every value within its operation's interval -- on every lane for what the threshold and the next
    state read outside the resets, on the spiking lanes for everything (a reset's operations hold only there)."""
    everywhere = _ancestors(fixed, [fixed.spike, *fixed.next_state.values()] if fixed.spike is not None
                            else fixed.next_state.values())
    if fixed.spike is not None:  # a reset's choice: its 'then' operand is valid only where the neuron spiked
        everywhere = _ancestors(fixed, [fixed.spike]) | {
            i for i in everywhere if fixed.ops[i].kind in ("state", "input", "param", "const")}
        sel = [i for i in fixed.next_state.values() if fixed.ops[i].kind == "select"]
        everywhere |= set(sel) | _ancestors(fixed, [fixed.ops[i].args[2] for i in sel])
    for i_cur in CURRENTS:
        cur = np.full(V.shape, i_cur)
        vals = _all_values(fixed, {s: V for s in fixed.states}, cur, params)
        fired = np.broadcast_to(vals[fixed.spike], V.shape) != 0 if fixed.spike is not None else None
        for i, (op, x) in enumerate(zip(fixed.ops, vals)):
            x = np.broadcast_to(x, V.shape)
            if i not in everywhere:
                x = x[fired]
            if x.size:
                assert op.lo <= x.min() and x.max() <= op.hi, (i, op, int(x.min()), int(x.max()))
    zero_one = set()
    for i, op in enumerate(fixed.ops):
        if op.kind == "cmp":
            assert (op.lo, op.hi) == (0, 1), op
            zero_one.add(i)
        elif op.kind == "select" and all(a in zero_one or (fixed.ops[a].kind == "const" and fixed.ops[a].k in (0, 1))
                                         for a in op.args[1:]):
            assert (op.lo, op.hi) == (0, 1), op
            zero_one.add(i)
        elif op.kind == "const":
            assert op.lo == op.hi == op.k
        if op.kind == "select" and not op.name and fixed.ops[op.args[2]].kind != "select":
            # the inner choice of a split (below the saturation, or the middle): exactly its branches' hull
            b, c = (fixed.ops[a] for a in op.args[1:])
            assert (op.lo, op.hi) == (min(b.lo, c.lo), max(b.hi, c.hi)), op


NEURONS = [
    ("v = 0.5*v + I", "v > 1", "v = v - 1", {}, {}),
    ("v = 0.5*v + I", "v > 127.99609375", "v = v - c", {"c": 1.0}, {}),
    ("v = 0.5*v + I", "v < -100", "v = v - c", {"c": -1.0}, {}),
    ("v = 0.5*v + I", "v - c > 0", "v = v - c", {"c": 1.0}, {}),
    ("v = abs(I) - v", "v >= 2", "v = 0", {}, {}),
    ("v = min(v, I) + max(v, 0.5*I)", "v <= -2", "v = v + 1", {}, {}),
    ("v = 0.25*v + exp(I)", "v > 3", "v = v - 3", {}, {"exp": (-4, 3.5)}),
]


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize(("eq", "threshold", "reset", "runtime", "domains"), NEURONS)
def test_intervals_hold_every_value_and_comparisons_are_zero_one(eq, threshold, reset, runtime, domains, split):
    n = from_equations(eq, threshold=threshold, reset=reset, params=runtime, runtime=tuple(runtime),
                       domains=domains)
    _check_intervals(n.compile(split_saturation=split))


@pytest.mark.parametrize(("span", "threshold"), [((0, 100), "v > 1"), ((-100, 0), "v < -1"), ((-300, -200), "v < -1")])
def test_intervals_of_a_sum_that_leaves_the_format_on_one_side(span, threshold):
    """``v = 0.5 v + b`` with ``b`` (Q10.8) declared in [0, 100] (or [-100, 0]): the sum passes only the top (or only
    the bottom) of Q8.8; in [-300, -200] it is always below it.  The split's other branch value lies outside the
    middle's range and shows in the hulls."""
    n = from_equations("v = 0.5*v + b", threshold=threshold, reset="v = v - c", params={"b": span[0], "c": 1.0},
                       runtime={"b": span, "c": None})
    _check_intervals(n.compile(formats={"b": "Q10.8"}, split_saturation=True))


# --------------------------------------------------------------- split_saturation at the saturation's edges

# threshold text -> (comparison, K in Q8.8 integers)
EDGES = {"v > 127.99609375": (np.greater, 32767), "v > 127.9921875": (np.greater, 32766),
         "v >= 127.99609375": (np.greater_equal, 32767), "v < -128": (np.less, -32768),
         "v < -127.99609375": (np.less, -32767), "v <= -128": (np.less_equal, -32768), "v > 1": (np.greater, 256),
         "v < -100": (np.less, -25600)}


@pytest.mark.parametrize("eq", ["v = 0.5*v + I", "v = I + 0.5*v"])  # the sum's operands in either order
@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("threshold", list(EDGES))
def test_threshold_and_reset_through_the_saturation_equal_integers(threshold, split, eq):
    """``v = 0.5 v + I`` (Q8.8: ``v1 = sat((v + 2 I) >> 1)``), a threshold at or next to the format's ends,
    ``v = v - c`` (``c`` runtime, both signs) saturated: a NumPy integer reference, every 3rd membrane.
    Split, the threshold's comparison is made in three branches (five choices in all)."""
    n = from_equations(eq, threshold=threshold, reset="v = v - c", params={"c": 1.0}, runtime=("c",))
    fixed = n.compile(split_saturation=split)
    assert sum(op.kind == "select" for op in fixed.ops) == (5 if split else 1)
    cmp, k = EDGES[threshold]
    for c in (256, -256, 32767, -32768):
        for i in CURRENTS:
            cur = np.full(V.shape, i)
            got, spike = fixed.step({"v": V}, cur, {"c": c})
            v1 = np.clip((V + 2 * cur) >> 1, -32768, 32767)
            want_spike = cmp(v1, k)
            assert spike.tolist() == want_spike.astype(int).tolist()
            assert got["v"].tolist() == np.where(want_spike, np.clip(v1 - c, -32768, 32767), v1).tolist()


@pytest.mark.parametrize("split", [False, True])
def test_threshold_on_the_difference_through_the_saturation(split):
    """``v - c > 0.5`` and ``v = v - c``: the comparison reads the rearranged subtraction."""
    n = from_equations("v = 0.5*v + I", threshold="v - c > 0.5", reset="v = v - c", params={"c": 1.0},
                       runtime=("c",))
    fixed = n.compile(split_saturation=split)
    # split: the subtraction's two choices, the comparison's two (made on its branches), the reset's
    assert sum(op.kind == "select" for op in fixed.ops) == (5 if split else 1)
    for c in (256, -32768, 32767):
        for i in CURRENTS:
            cur = np.full(V.shape, i)
            got, spike = fixed.step({"v": V}, cur, {"c": c})
            v1 = np.clip((V + 2 * cur) >> 1, -32768, 32767)
            want_spike = v1 - c > 128
            assert spike.tolist() == want_spike.astype(int).tolist()
            assert got["v"].tolist() == np.where(want_spike, np.clip(v1 - c, -32768, 32767), v1).tolist()


@pytest.mark.parametrize("split", [False, True])
def test_wrapped_reset_below_the_format(split):
    """overflow='wrap': ``v = v - 1`` under ``v < -100`` wraps ``sat`` nothing: ``v1 - 256`` wraps to the top.
    split_saturation leaves a wrapped sum alone (it is no saturation)."""
    n = from_equations("v = 0.5*v + I", threshold="v < -100", reset="v = v - 1")
    fixed = n.compile(overflow="wrap", split_saturation=split)
    assert not any(op.kind == "select" and op.name != "v" for op in fixed.ops)
    for i in CURRENTS:
        cur = np.full(V.shape, i)
        got, spike = fixed.step({"v": V}, cur)
        wrap = lambda x: ((x + 32768) & 0xFFFF) - 32768  # noqa: E731
        v1 = wrap((V + 2 * cur) >> 1)
        want_spike = v1 < -25600
        assert spike.tolist() == want_spike.astype(int).tolist()
        assert got["v"].tolist() == np.where(want_spike, wrap(v1 - 256), v1).tolist()


# ------------------------------------------------------------------------------------------------ tables


def test_table_step_is_the_finest_that_fits_lut_bits():
    """exp over [-4, 3.5]: at step 1/2 exactly 16 entries (-8 .. 7), so lut_bits=4 takes step 1/2, not 1."""
    n = from_equations("v = exp(I)", domains={"exp": (-4, 3.5)})
    (t,) = n.compile(lut_bits=4).tables
    assert (t.step_frac, t.lo_i, len(t.entries)) == (1, -8, 16)


def test_table_step_refusal_and_whole_steps():
    n = from_equations("v = exp(I)", domains={"exp": (-4, 3.5)})
    with pytest.raises(EquationError, match=r"exp over \(-4.0, 3.5\) needs more than 2\*\*3 entries"):
        n.compile(lut_bits=3)
    # domain [-7, 8] at step 1: 16 entries, the coarsest step (k = 0) reached
    (t,) = from_equations("v = exp(I)", domains={"exp": (-7, 8)}).compile(lut_bits=4).tables
    assert (t.step_frac, t.lo_i, len(t.entries)) == (0, -7, 16)
    # an integer input (Q16.0): the step is never finer than the input's own (k starts at its 0 fraction bits)
    (t,) = from_equations("v = exp(I)", domains={"exp": (0, 1)}).compile("Q16.0").tables
    assert (t.step_frac, t.lo_i, len(t.entries)) == (0, 0, 2)
    # 4 I: the argument has -2 fraction bits; the step is still 1 (k = 0)
    (t,) = from_equations("v = exp(4*I)", domains={"exp": (0, 8)}).compile("Q16.0").tables
    assert (t.step_frac, t.lo_i, len(t.entries)) == (0, 0, 9)


def test_two_tables_each_read_by_its_own_lookup():
    """exp and tanh: each lookup reads its own table (entries differ), the sweep equal to the two tables."""
    fixed = from_equations("v = exp(I) + tanh(I)", domains={"exp": (-2, 1), "tanh": (-2, 1)}).compile(
        "Q8.8", lut_bits=4)
    names = [t.function for t in fixed.tables]
    luts = [op for op in fixed.ops if op.kind == "lut"]
    assert sorted(names) == ["exp", "tanh"] and sorted(fixed.tables[op.k].function for op in luts) == names
    for op in luts:
        t = fixed.tables[op.k]
        assert (op.lo, op.hi) == (min(t.entries), max(t.entries))


# ------------------------------------------------------------------------------------------ held intervals


@pytest.mark.parametrize(("overflow", "held"), [("saturate", (36, 127.99609375)), ("wrap", (-128, 127.99609375))])
def test_held_interval_of_each_overflow(overflow, held):
    """``v = 0.5 v + 100`` in Q8.8: exact [-64 + 100, 63.998 + 100] = [36, 163.998]; saturate holds [36, max],
    wrap the whole format."""
    (row,) = from_equations("v = 0.5*v + 100").compile(overflow=overflow).ranges
    assert row.exact == (36.0, 163.99609375) and row.held == held and row.overflows


@pytest.mark.parametrize(("span", "held"), [((-300, -200), (-128.0, -128.0)), ((200, 300), (127.99609375,) * 2),
                                            ((-300, 300), (-128.0, 127.99609375))])
def test_a_sum_always_outside_the_format_saturates_to_one_end(span, held):
    """``v = 0.5 v + b``, ``b`` (Q10.8) in [-300, -200]: the exact value lies in about [-364, -136], always below Q8.8,
    so saturation holds exactly -128 (and 127.996 above it); an interval across the format holds the format."""
    n = from_equations("v = 0.5*v + b", params={"b": span[0]}, runtime={"b": span})
    (row,) = n.compile(formats={"b": "Q10.8"}).ranges
    assert row.held == held and row.overflows


def test_a_range_equal_to_the_format_does_not_overflow():
    """``v = I`` and ``v = -0.5 v`` reach the format's ends exactly (or stay inside): nothing held."""
    fixed = from_equations("v = I", "w = -0.5*w").compile()
    assert [r.overflows for r in fixed.ranges] == [False, False]
    assert not any(op.kind == "fit" for op in fixed.ops)


# -------------------------------------------------------------- what a threshold tells the resets (tight)

# (equations, formats, runtime ranges, threshold, reset, (lo, hi) of the reset's exact value in its integers):
# each worked by hand; "v1" is the membrane the threshold reads
UNDER = [
    # v > 0.5: v1 >= 129; v1 - 192
    ("v = v + I", {}, {}, "v > 0.5", "v = v - 0.75", (129 - 192, 32767 - 192)),
    ("v = v + I", {}, {}, "v >= 1", "v = v - 100", (256 - 25600, 32767 - 25600)),
    ("v = v + I", {}, {}, "v < -0.5", "v = v + 100", (-32768 + 25600, -129 + 25600)),
    ("v = v + I", {}, {}, "v <= -1", "v = v + 100", (-32768 + 25600, -256 + 25600)),
    ("v = v + I", {}, {}, "-v > 1", "v = v + 120", (-32768 + 30720, -257 + 30720)),  # v < -1
    ("v = v + I", {}, {}, "-v >= 1", "v = v + 120", (-32768 + 30720, -256 + 30720)),
    # the threshold holds at a single value, or never (the range is left as it is)
    ("v = v + I", {}, {}, "v >= 127.99609375", "v = v - 1", (32767 - 256, 32767 - 256)),
    ("v = v + I", {}, {}, "v > 127.99609375", "v = v - 1", (-32768 - 256, 32767 - 256)),
    # the rest R = -w (w in [-10, 10] at 4 fraction bits, i.e. [-2560, 2560] at 8): v > 512 + w >= -2048
    ("v = v + I", {"w": "Q12.4"}, {"w": (-10, 10)}, "v - w > 2", "v = v - 2", (-2047 - 512, 32767 - 512)),
    ("v = v + I", {"w": "Q12.4"}, {"w": (-10, 10)}, "v - w >= 2", "v = v - 2", (-2048 - 512, 32767 - 512)),
    # -v + w > 2: v < w - 2 <= 2048;  -v + w < 2: v > w - 2 >= -3072
    ("v = v + I", {"w": "Q12.4"}, {"w": (-10, 10)}, "w - v > 2", "v = v + 2", (-32768 + 512, 2047 + 512)),
    ("v = v + I", {"w": "Q12.4"}, {"w": (-10, 10)}, "w - v < 2", "v = v + 2", (-3071 + 512, 32767 + 512)),
    ("v = v + I", {"w": "Q12.4"}, {"w": (-10, 10)}, "w - v >= 2", "v = v + 2", (-32768 + 512, 2048 + 512)),
    ("v = v + I", {"w": "Q12.4"}, {"w": (-10, 10)}, "w - v <= 2", "v = v + 2", (-3072 + 512, 32767 + 512)),
    # X with fewer fraction bits than the rest: v in Q12.4 (step 16 at 8 fraction bits), w in Q8.8 over [-10, 10]
    # v > 2 + w: 16 v > 512 - 2560 = -2048: v > -128, v >= -127;  v >= ...: v >= -128
    ("v = v + I", {"v": "Q12.4"}, {"w": (-10, 10)}, "v - w > 2", "v = v - 2", (-127 - 32, 32767 - 32)),
    ("v = v + I", {"v": "Q12.4"}, {"w": (-10, 10)}, "v - w > 2.001", "v = v - 2", (-127 - 32, 32767 - 32)),
    ("v = v + I", {"v": "Q12.4"}, {"w": (-10, 10)}, "v - w >= 2", "v = v - 2", (-128 - 32, 32767 - 32)),
    # v < 2 + w <= 3072 (at 8 bits): 16 v < 3072, v <= 191;  v <= ...: v <= 192
    ("v = v + I", {"v": "Q12.4"}, {"w": (-10, 10)}, "v - w < 2", "v = v + 2", (-32768 + 32, 191 + 32)),
    ("v = v + I", {"v": "Q12.4"}, {"w": (-10, 10)}, "v - w <= 2", "v = v + 2", (-32768 + 32, 192 + 32)),
    # a product in the threshold: v*v is no signal alone (nothing narrowed), v enters it alone with +1
    ("v = v + I", {}, {}, "v + v*v > 1000", "v = v - 1", (-32768 - 256, 32767 - 256)),
]


@pytest.mark.parametrize(("eqs", "formats", "ranges", "threshold", "reset", "want"), UNDER)
def test_reset_range_under_the_threshold_by_hand(eqs, formats, ranges, threshold, reset, want):
    params = {k: 0.0 for k in ranges}
    n = from_equations(eqs, threshold=threshold, reset=reset, params=params, runtime=ranges)
    fixed = n.compile(formats=formats or None, overflow="wrap")
    row = [r for r in fixed.ranges if r.text == reset][0]
    one = fixed.formats["v"].one
    assert (row.exact[0] * one, row.exact[1] * one) == want


# -------------------------------------------------------------------------- constants, fraction bits, options


@pytest.mark.parametrize(("threshold", "spikes"), [
    # Q8.8, v = -1, 0, 1 (integers): 0.001 is 0.256 LSB, so v > 0.001 <=> v >= 1, v < 0.001 <=> v <= 0, ...
    ("v > 0.001", [0, 0, 1]), ("v >= 0.001", [0, 0, 1]), ("v < 0.001", [1, 1, 0]), ("v <= 0.001", [1, 1, 0]),
    ("v > -0.001", [0, 1, 1]), ("v >= -0.001", [0, 1, 1]), ("v < -0.001", [1, 0, 0]), ("v <= -0.001", [1, 0, 0]),
])
def test_threshold_constant_between_two_integers(threshold, spikes):
    fixed = from_equations("v = I", threshold=threshold).compile()
    _, spike = fixed.step({}, np.array([-1, 0, 1]))
    assert spike.tolist() == spikes


def test_coefficients_round_half_up_at_coef_frac():
    """coef_frac=2: 0.375 is 1.5 quarters, rounds half up to 2 quarters (0.5): v = 0.5 I."""
    fixed = from_equations("v = 0.375*I").compile(coef_frac=2)
    nxt, _ = fixed.step({"v": np.zeros(2, np.int64)}, np.array([256, 0]))
    assert nxt["v"].tolist() == [128, 0]


def test_constant_term_signs_and_what_rounds_to_zero():
    """A constant of exactly one unit at coef_frac=16 (2**-16) is positive: I + 2**-16 truncates to I, not I - 1."""
    fixed = from_equations("v = I + 0.0000152587890625").compile()
    nxt, _ = fixed.step({"v": np.zeros(2, np.int64)}, np.array([0, 256]))
    assert nxt["v"].tolist() == [0, 256]
    for eq, what in (("v = 1e-9*v + I", "the coefficient of v"), ("v = v + 1e-9", "a constant term"),
                     ("v = 1e-9*exp(I)", "the coefficient of exp(...)")):
        with pytest.raises(EquationError, match=rf"\({re.escape(what)}\) rounds to 0 at coef_frac=16"):
            from_equations(eq, domains={"exp": (0, 1)}).compile()


def test_fraction_bits_of_products():
    """v*w in Q8.8 has 16 fraction bits; 0.75 v is v * 3 at 8 + 2 fraction bits."""
    fixed = from_equations("v = v*w", "w = 0.75*w").compile()
    muls = [op for op in fixed.ops if op.kind == "mul"]
    assert sorted(op.frac for op in muls) == [10, 16]


def test_rounding_mode_with_nothing_to_round():
    """v + I is exact at 8 fraction bits: no shift, whatever the rounding."""
    for rounding in ("truncate", "round"):
        fixed = from_equations("v = v + I").compile(rounding=rounding)
        assert not any(op.kind in ("shr", "shl") for op in fixed.ops)


@pytest.mark.parametrize(("kw", "ok"), [({"coef_frac": 0}, True), ({"coef_frac": 40}, True),
                                        ({"coef_frac": -1}, False), ({"coef_frac": 41}, False),
                                        ({"lut_bits": 1}, True), ({"lut_bits": 16}, True),
                                        ({"lut_bits": 0}, False), ({"lut_bits": 17}, False)])
def test_option_bounds(kw, ok):
    n = from_equations("v = v + I")
    if ok:
        assert len(n.compile(**kw).ops) == 4
    else:
        (name, value), = kw.items()
        lo, hi = {"coef_frac": (0, 40), "lut_bits": (1, 16)}[name]
        with pytest.raises(ValueError, match=rf"{name} must be an integer in \[{lo}, {hi}\], not {value}"):
            n.compile(**kw)


def test_split_leaves_a_sum_of_two_states_alone():
    """The rearrangement needs an input-only addend: v = sat((3 v + 3 w) >> 2) (two states) is not split."""
    n = from_equations("v = 0.75*v + 0.75*w", "w = w", threshold="v > 1", reset="v = v - 1")
    plain, split = (n.compile(split_saturation=s) for s in (False, True))
    assert [op.kind for op in split.ops] == [op.kind for op in plain.ops]
