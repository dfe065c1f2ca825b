"""The front end's rules and the NumPy stepper's input checks, against hand-worked values.

* a constant threshold (``1 > 0``) is refused, saying which way it always goes (the comparison with 0 at -1, 0, 1);
* the float model's threshold at exactly 0, its ``min``/``max``/``clip``/``abs`` on hand-picked values, its
  currents' shapes and ``init``;
* constant folding of ``min``/``max``/``abs``; the names listed by an unknown-name refusal;
* simultaneous ODEs: every right-hand side read before any state is written (hand-worked Euler steps);
* ``float_program``: each value's keys;
* the NumPy stepper: 1-D currents, and ``random_currents``' checks and its documented mixture (seeded shares).
"""

from __future__ import annotations

import numpy as np
import pytest
from sc_neurocore.compiler import EquationError, from_equations
from sc_neurocore.compiler.numpy_backend import random_currents

# ------------------------------------------------------------------------------ comparisons with 0

# (op, difference lhs - rhs) -> x <op> 0, by hand
HAND = {(">", -1): False, (">", 0): False, (">", 1): True, (">=", -1): False, (">=", 0): True, (">=", 1): True,
        ("<", -1): True, ("<", 0): False, ("<", 1): False, ("<=", -1): True, ("<=", 0): True, ("<=", 1): False}


@pytest.mark.parametrize(("op", "x"), list(HAND))
def test_constant_threshold_refused_saying_which_way(op, x):
    word = "true" if HAND[(op, x)] else "false"
    with pytest.raises(EquationError, match=f"the threshold reads no signal: it is always {word}"):
        from_equations("v = I", threshold=f"{x + 2} {op} 2")


@pytest.mark.parametrize("op", [">", ">=", "<", "<="])
def test_float_threshold_at_zero(op):
    """``v = I`` (a temporary), threshold ``v <op> 0`` on I = -1, 0, 1 (and -0.5, 0.5)."""
    cur = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    spikes, _ = from_equations("v = I", threshold=f"v {op} 0").run_float(cur)
    want = {">": [0, 0, 0, 1, 1], ">=": [0, 0, 1, 1, 1], "<": [1, 1, 0, 0, 0], "<=": [1, 1, 1, 0, 0]}[op]
    assert spikes[:, 0].tolist() == want


# ------------------------------------------------------------------------------ functions, float model and folding

CUR = np.array([-3.0, -1.0, 0.0, 0.5, 2.0, 5.0])
FLOAT_FUNCS = [
    ("min(I, 1)", [-3, -1, 0, 0.5, 1, 1]),
    ("min(1, I)", [-3, -1, 0, 0.5, 1, 1]),
    ("max(I, 1)", [1, 1, 1, 1, 2, 5]),
    ("max(1, I)", [1, 1, 1, 1, 2, 5]),
    ("clip(I, -1, 2)", [-1, -1, 0, 0.5, 2, 2]),
    ("abs(I)", [3, 1, 0, 0.5, 2, 5]),
    ("min(I, 1) + max(I, -2)", [-5, -2, 0, 1, 3, 6]),
]


@pytest.mark.parametrize(("expr", "want"), FLOAT_FUNCS)
def test_float_model_functions_by_hand(expr, want):
    n = from_equations(f"dv/dt = {expr}", dt=1.0)  # v starts at 0: after one step v = expr
    _, trace = n.run_float(CUR[None, :])
    assert trace["v"][0].tolist() == want


@pytest.mark.parametrize(("expr", "want"), FLOAT_FUNCS)
def test_fixed_point_functions_by_hand(expr, want):
    """The same on the fixed-point form (Q8.8: every value exact), one step from v = 0."""
    f = from_equations(f"dv/dt = {expr}", dt=1.0).compile()
    nxt, _ = f.step({"v": np.zeros(CUR.size, np.int64)}, (CUR * 256).astype(np.int64))
    assert nxt["v"].tolist() == [int(w * 256) for w in want]


@pytest.mark.parametrize(("expr", "add"), [("min(1, 2)", 1), ("max(1, 2)", 2), ("min(-1, -2)", -2),
                                           ("max(-1, -2)", -1), ("abs(-3)", 3), ("abs(3)", 3),
                                           ("clip(5, -1, 2)", 2), ("clip(-5, -1, 2)", -1)])
def test_constant_functions_fold(expr, add):
    n = from_equations(f"dv/dt = {expr}", dt=1.0)
    _, trace = n.run_float(np.zeros((2, 1)))
    assert trace["v"][:, 0].tolist() == [add, 2 * add]


def test_unknown_name_lists_numbers_and_signals():
    with pytest.raises(EquationError, match=r"unknown name 'x' \(known here: I, a, dt, v, w;"):
        from_equations("w = I", "v = x + w", params={"a": 1})


# ------------------------------------------------------------------------------ simultaneous ODEs

def test_coupled_odes_read_every_right_hand_side_first():
    """Euler, dt = 1, from (x, y, z) = (1, 2, 3): x' = y, y' = z - x, z' = x: every derivative at the old values:
    (1 + 2, 2 + 3 - 1, 3 + 1) = (3, 4, 4), then (3 + 4, 4 + 4 - 3, 4 + 3) = (7, 5, 7)."""
    n = from_equations("dx/dt = y", "dy/dt = z - x", "dz/dt = x", init={"x": 1.0, "y": 2.0, "z": 3.0}, dt=1.0)
    _, trace = n.run_float(np.zeros(2))
    assert [trace[s][:, 0].tolist() for s in "xyz"] == [[3, 7], [4, 5], [4, 7]]


@pytest.mark.parametrize(("eqs", "threshold", "states", "temporaries"), [
    # w is assigned before the ODE reads it: a temporary (its value of this step)
    (("w = x", "dx/dt = w"), "w > 1", ("x",), ("w",)),
    # an assignment after an ODE is not part of the ODE's group: z reads this step's w
    (("dx/dt = I", "w = I", "z = w"), "z + x > 1", ("x",), ("w", "z")),
    (("dx/dt = I", "w = I", "z = w", "dy/dt = x"), "z + y > 1", ("x", "y"), ("w", "z")),
    (("dx/dt = I", "w = I", "z = w", "dy/dt = x", "du/dt = y"), "z + u > 1", ("x", "y", "u"), ("w", "z")),
    # read before it is assigned: a state (last step's value), also by the second ODE of a group
    (("dx/dt = I", "dy/dt = z", "z = I"), "z > 1", ("x", "y", "z"), ()),
    # read before it is assigned: a state (last step's value)
    (("z = w", "w = I"), "z > 1", ("w",), ("z",)),
])
def test_states_and_temporaries_by_hand(eqs, threshold, states, temporaries):
    """A state is an ODE's target, or a name read before the statement that assigns it (or never read); every
    other assigned name is a temporary (worked by hand for each set; the threshold reads the rest)."""
    n = from_equations(*eqs, threshold=threshold, dt=1.0)
    assert (n.states, n.temporaries) == (states, temporaries)


def test_an_assignment_after_odes_is_not_one_of_them():
    """dx/dt = y, dy/dt = -x (Euler, dt = 1) from (1, 0), then w = x: (1, -1), then (0, -2); w reads the new x."""
    n = from_equations("dx/dt = y", "dy/dt = -x", "w = x", threshold="w > 5", init={"x": 1.0, "y": 0.0}, dt=1.0)
    _, trace = n.run_float(np.zeros(2))
    assert (trace["x"][:, 0].tolist(), trace["y"][:, 0].tolist()) == ([1, 0], [-1, -2])


def test_an_assignment_between_odes_splits_them():
    """dx/dt = y; w = x; dy/dt = w: w reads the new x (3), y the old y plus the new w: from (1, 2): x = 3, w = 3,
    y = 2 + 3 = 5."""
    n = from_equations("dx/dt = y", "w = x", "dy/dt = w", init={"x": 1.0, "y": 2.0}, dt=1.0)
    _, trace = n.run_float(np.zeros(1))
    assert (trace["x"][0, 0], trace["y"][0, 0]) == (3, 5)
    assert n.states == ("x", "y")


# ------------------------------------------------------------------------------ the float model's inputs

def test_run_float_shapes_and_init():
    n = from_equations("dv/dt = I", init={"v": 1.0}, dt=1.0)
    spikes, trace = n.run_float(np.array([1.0, 2.0, 3.0]))  # (T,) is T steps of one neuron
    assert spikes.shape == (3, 1) and trace["v"][:, 0].tolist() == [2, 4, 7]
    # T = 3 steps of N = 2 neurons, init per neuron count N (not T)
    spikes, trace = n.run_float(np.ones((3, 2)), init={"v": 10.0})
    assert trace["v"].shape == (3, 2) and trace["v"][-1].tolist() == [13, 13]
    spikes, trace = n.run_float(np.ones((2, 5)))
    assert trace["v"].shape == (2, 5)


def test_float_program_keys():
    n = from_equations("v = beta*v + I", threshold="v > 1", reset="v = 0", params={"beta": 0.5}, runtime=("beta",))
    kinds = {v["kind"]: set(v) for v in n.float_program()["values"]}
    assert kinds["spike"] == {"kind", "name", "poly", "op"}
    assert kinds["select"] == {"kind", "name", "cond", "a", "b"}
    assert kinds["assign"] == {"kind", "name", "poly"}
    assert kinds["param"] == {"kind", "name", "default"}
    assert kinds["state"] == kinds["input"] == {"kind", "name"}


# ------------------------------------------------------------------------------ the NumPy stepper

def test_run_takes_one_dimensional_currents():
    f = from_equations("dv/dt = I", dt=1.0).compile()
    spikes, trace = f.run(np.array([256, 512, -256]))
    assert spikes.shape == (3, 1) and trace["v"][:, 0].tolist() == [256, 768, 512]


@pytest.mark.parametrize(("kw", "ok"), [({"steps": 1}, True), ({"steps": 0}, False), ({"steps": 3, "n": 1}, True),
                                        ({"steps": 3, "n": 0}, False), ({"steps": 3, "seed": 0}, True),
                                        ({"steps": 3, "seed": -1}, False)])
def test_random_currents_checks_at_the_bounds(kw, ok):
    f = from_equations("v = I").compile("Q16.0")
    if ok:
        out = random_currents(f, **kw)
        assert out.shape == (kw["steps"], kw.get("n", 1)) and out.dtype == np.int64
    else:
        name = [k for k in kw if kw[k] <= 0 and (k != "seed" or kw[k] < 0)][0]
        with pytest.raises(ValueError, match=f"{name} must be an integer >= {1 if name != 'seed' else 0}"):
            random_currents(f, **kw)


def test_random_currents_mixture_in_integers():
    """Q16.0 (one = 1): 85 % small values, uniform over [-2, 2) = {-2, -1, 0, 1}, 10 % over the whole format,
    5 % at its two ends.  Seed 0, 400,000 draws: each small value's share is 21.25 % (+ 0.0015 % from the whole
    format), each end's 2.5 %, within 0.5 % (about 7 standard deviations); nothing else above 0.01 %."""
    f = from_equations("v = I").compile("Q16.0")
    x = random_currents(f, 400_000, seed=0).ravel()
    assert x.min() >= -32768 and x.max() <= 32767
    values, counts = np.unique(x, return_counts=True)
    share = dict(zip(values.tolist(), (counts / x.size).tolist()))
    for v in (-2, -1, 0, 1):
        assert abs(share[v] - 0.2125) < 0.005, (v, share[v])
    for v in (-32768, 32767):
        assert abs(share[v] - 0.025) < 0.005, (v, share[v])
    assert all(s < 1e-4 for v, s in share.items() if v not in (-2, -1, 0, 1, -32768, 32767))


@pytest.mark.parametrize("fmt", ["Q2.0", "Q1.1"])
def test_random_currents_small_range_clipped_to_a_narrow_format(fmt):
    """Q2.0 (-2 .. 1) and Q1.1 (-2 .. 1 halves: the small range [-4, 4) halves is wider than the format): the small
    range is clipped to the format, so every value draws 85 / 4 + 10 / 4 % and the two ends 2.5 % more: -2 and 1
    26.25 %, -1 and 0 23.75 % (seed 0, 400,000 draws, within 0.5 %)."""
    f = from_equations("v = I").compile(fmt)
    x = random_currents(f, 400_000, seed=0).ravel()
    values, counts = np.unique(x, return_counts=True)
    assert values.tolist() == [-2, -1, 0, 1]
    for v, c in zip(values.tolist(), (counts / x.size).tolist()):
        assert abs(c - {-2: 0.2625, -1: 0.2375, 0: 0.2375, 1: 0.2625}[v]) < 0.005, (v, c)
