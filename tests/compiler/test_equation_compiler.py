"""The front end: the equation language, its float dynamics (traces computed by hand) and every refusal."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sc_neurocore.compiler.equation_compiler import EquationError, from_equations


def test_lif_ode_float_trace_by_hand():
    """dv/dt = -v/tau + I, tau = 10, dt = 1: v = 0.9 v + I; I = 0.5: 0.5, 0.95, 1.355 -> spike, reset 0."""
    n = from_equations("dv/dt = -v/tau + I", threshold="v > 1", reset="v = 0", params={"tau": 10.0},
                       init={"v": 0.0}, dt=1.0)
    assert n.states == ("v",) and n.temporaries == ()
    spikes, trace = n.run_float(np.full((4, 1), 0.5))
    assert spikes[:, 0].tolist() == [0, 0, 1, 0]
    np.testing.assert_allclose(trace["v"][:, 0], [0.5, 0.95, 0.0, 0.5], rtol=0, atol=1e-12)


def test_odes_of_one_group_read_the_values_before_the_step():
    """Explicit Euler on x' = y, y' = -x, dt = 0.5 from (1, 0): (1, -0.5), then (0.75, -1.0)."""
    n = from_equations("dx/dt = y", "dy/dt = -x", init={"x": 1.0}, dt=0.5)
    _, trace = n.run_float(np.zeros((2, 1)))
    np.testing.assert_allclose(trace["x"][:, 0], [1.0, 0.75])
    np.testing.assert_allclose(trace["y"][:, 0], [-0.5, -1.0])  # sequential updates would give -0.875


def test_discrete_updates_run_in_order_and_temporaries_do_not_persist():
    """Synaptic: i = 0.5 i + I; v = 0.5 v + i (the new i); I = 1, 0, 0: i = 1, 0.5, 0.25; v = 1, 1, 0.75."""
    n = from_equations("i = a*i + I; v = b*v + i", params={"a": 0.5, "b": 0.5})
    assert n.states == ("i", "v")
    _, tr = n.run_float(np.array([[1.0], [0.0], [0.0]]))
    assert tr["i"][:, 0].tolist() == [1.0, 0.5, 0.25] and tr["v"][:, 0].tolist() == [1.0, 1.0, 0.75]
    m = from_equations("th = 1 + g*a", "a = r*a", "v = v + I", threshold="v > th", reset="v -= th; a += 1",
                       params={"g": 0.5, "r": 0.5})
    assert m.states == ("a", "v") and m.temporaries == ("th",)
    # I = 1.2: v = 1.2 > th = 1 -> spike, v = 0.2, a = 1; I = 1.2: th = 1.5, v = 1.4 no spike, a = 0.5
    spikes, tr = m.run_float(np.array([[1.2], [1.2]]))
    assert spikes[:, 0].tolist() == [1, 0]
    np.testing.assert_allclose(tr["v"][:, 0], [0.2, 1.4])
    np.testing.assert_allclose(tr["a"][:, 0], [1.0, 0.5])


def test_exponential_euler_is_the_lapicque_step():
    """dv/dt = (R I - v)/tau: v = v e^(-dt/tau) + R I (1 - e^(-dt/tau))."""
    n = from_equations("dv/dt = (R*I - v)/tau", params={"R": 2.0, "tau": 5.0}, dt=1.0, method="exponential_euler")
    beta = math.exp(-1 / 5)
    _, tr = n.run_float(np.array([[1.0], [1.0]]))
    np.testing.assert_allclose(tr["v"][:, 0], [2 * (1 - beta), beta * 2 * (1 - beta) + 2 * (1 - beta)], rtol=1e-12)


def test_statement_forms_units_and_functions():
    n = from_equations("dv/dt = -v + clip(I, -1, 1) : 1\n# a comment\nw = max(v, 0) + abs(I) - min(v, 0)",
                       init={"v": 0.5}, dt=0.5)
    _, tr = n.run_float(np.array([[3.0]]))
    assert tr["v"][0, 0] == pytest.approx(0.5 + 0.5 * (-0.5 + 1))
    assert n.states == ("v", "w") and n.temporaries == ()  # assigned, never read: an output
    k = from_equations("v = tanh(v) + 0.1*exp(I) + 2**2 * v*v", domains={"tanh": (-4, 4), "exp": (-1, 1)})
    _, tr = k.run_float(np.array([[0.5]]))
    assert tr["v"][0, 0] == pytest.approx(0.1 * math.exp(0.5))


def test_numbers_are_folded_exactly():
    n = from_equations("v = v * dt / tau + exp(0)", params={"tau": 10}, dt=0.1)
    (mono, coef), (const_mono, const) = n.values[-1].poly.terms
    assert float(coef) == 0.01 and coef.denominator == 100 and const == 1 and const_mono == ()


REFUSALS = [
    # (equations, keywords, fragment of the expression, fragment of the reason)
    (("dv/dt = -v/tau + x",), {"params": {"tau": 10}}, "dv/dt = -v/tau + x", "unknown name 'x'"),
    (("dv/dt = -v/tau + I",), {}, "dv/dt = -v/tau + I", "unknown name 'tau'"),
    (("dv/dt = I / v",), {}, "dv/dt = I / v", "division by the state variable 'v'"),
    (("v = v / I",), {}, "v = v / I", "division by the input 'I'"),
    (("u = v + 1", "v = v / u"), {}, "v = v / u", "division by the signal 'u'"),
    (("v = v / (tau - 10)",), {"params": {"tau": 10}}, "v = v / (tau - 10)", "division by zero"),
    (("v = exp(v)",), {}, "v = exp(v)", "needs a declared input range: pass domains={'exp': (lo, hi)}"),
    (("v = v ** 0.5",), {}, "v = v ** 0.5", "must be a non-negative integer"),
    (("v = v ** I",), {}, "v = v ** I", "is not a constant"),
    (("v = foo(v)",), {}, "v = foo(v)", "unknown function 'foo'"),
    (("v = max(v)",), {}, "v = max(v)", "max takes 2 arguments, not 1"),
    (("v = v[0]",), {}, "v = v[0]", "is not supported"),
    (("v = v > 1",), {}, "v = v > 1", "a comparison belongs in threshold="),
    (("v = exp",), {}, "v = exp", "exp is a function"),
    (("tau = v",), {"params": {"tau": 1}}, "tau = v", "'tau' is params: it cannot be assigned"),
    (("I = v",), {}, "I = v", "'I' is the input current"),
    (("dv/dt = -v : volt",), {}, "dv/dt = -v : volt", "units are not supported ('volt')"),
    (("v == 1",), {}, "v == 1", "not an equation"),
    (("v = (1 +",), {}, "v = (1 +", "not an expression"),
    (("dv/dt = -v", "dv/dt = I"), {}, "dv/dt = I", "a second ODE for 'v'"),
    (("v = v + I",), {"threshold": "v"}, "v", "a threshold is one comparison"),
    (("v = v + I",), {"threshold": "0 < v < 1"}, "0 < v < 1", "a threshold is one comparison"),
    (("v = v + I",), {"threshold": "tau > 1", "params": {"tau": 2}}, "tau > 1", "reads no signal: it is always true"),
    (("v = v + I",), {"reset": "v = 0"}, "v = 0", "a reset needs a threshold"),
    (("v = v + I",), {"threshold": "v > 1", "reset": "dv/dt = 1"}, "dv/dt = 1", "a reset is a discrete update"),
    (("dv/dt = -v*v + I",), {"method": "exponential_euler"}, "dv/dt = -v*v + I", "is not linear in v"),
    (("dv/dt = -v",), {"method": "rk4"}, "", "method must be one of ('euler', 'exponential_euler')"),
    (("dv/dt = -v",), {"dt": 0}, "", "dt must be > 0"),
    (("dv/dt = -v",), {"dt": float("nan")}, "", "dt must be finite"),
    (("dv/dt = -v*a",), {"params": {"a": float("inf")}}, "", "params['a'] must be finite"),
    (("dv/dt = -v*a",), {"params": {"a": 1}, "constants": {"a": 2}}, "", "'a' is given twice"),
    (("dv/dt = -v",), {"params": {"dt": 1}}, "", "'dt' in params is reserved"),
    (("dv/dt = -v",), {"init": {"w": 1}}, "", "init names 'w', which no equation assigns"),
    (("dv/dt = -v",), {"init": {"v": "1"}}, "", "init['v'] must be a number"),
    (("v = exp(v)",), {"domains": {"exp": (2, 1)}}, "", "need finite lo < hi"),
    (("v = log(v)",), {"domains": {"log": (0, 1)}}, "", "log is not finite over it"),
    (("v = v",), {"domains": {"relu": (0, 1)}}, "", "not a table function"),
    (("v = exp(1000)",), {}, "v = exp(1000)", "is not a finite number"),
    ((), {}, "", "no equations given"),
]


@pytest.mark.parametrize("eqs,kw,expr,reason", REFUSALS, ids=[r[3][:40] for r in REFUSALS])
def test_refusals_name_the_expression_and_the_reason(eqs, kw, expr, reason):
    with pytest.raises(EquationError) as info:
        from_equations(*eqs, **kw)
    assert info.value.expression == expr
    assert reason in info.value.reason
    assert isinstance(info.value, ValueError)
    if expr:
        assert str(info.value).startswith(repr(expr))


def test_float_program_is_plain_data():
    import json

    n = from_equations("v = beta*v + exp(v - 1)", threshold="v > 1", reset="v = 0", params={"beta": 0.5},
                       domains={"exp": (-4, 0)})
    prog = n.float_program()
    assert json.loads(json.dumps(prog)) == prog
    assert prog["states"] == ["v"] and prog["spike"] is not None
    assert {a["kind"] for a in prog["atoms"]} == {"value", "lut"}


def test_exponential_euler_without_a_state_term_is_euler():
    """dv/dt = 2*I has A = 0: exp(A dt) would divide by A; the step is v + 2*I*dt, as Euler's (worked: 1.0, 2.0)."""
    for method in ("exponential_euler", "euler"):
        n = from_equations("dv/dt = 2*I", dt=0.5, method=method)
        _, tr = n.run_float(np.array([[1.0], [1.0]]))
        np.testing.assert_allclose(tr["v"][:, 0], [1.0, 2.0], rtol=0, atol=0)


def test_float_program_carries_each_parameter_default():
    n = from_equations("v = beta*v + I", params={"beta": 0.5}, runtime=("beta",))  # a runtime parameter: not folded
    params = [v for v in n.float_program()["values"] if v["kind"] == "param"]
    assert [(p["name"], p["default"]) for p in params] == [("beta", 0.5)]


def test_fixed_run_starts_from_the_neurons_own_init():
    """``numpy_backend.run`` without ``init`` starts at the compiled neuron's initial state (v = 0.5 in Q8.8 = 128):
    the first step of v = v + I from 128 with I = 256 is 384."""
    from sc_neurocore.compiler.numpy_backend import run

    fixed = from_equations("v = v + I", init={"v": 0.5}).compile("Q8.8")
    _, tr = run(fixed, np.array([[256]]))
    assert tr["v"][0, 0] == 384
    _, tr = run(fixed, np.array([[256]]), init={"v": 0})
    assert tr["v"][0, 0] == 256
