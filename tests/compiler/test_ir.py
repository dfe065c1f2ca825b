"""The fixed-point form: the contract's LIF bit-exact, the rules of docs/sc-arithmetic.md section 11 (its
worked examples replayed), constants, shifts, rounding, overflow, tables, the range analysis, the refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sc_neurocore.compiler import EquationError, from_equations, parse_format
from sc_neurocore.sc.contract import Q8_8, FixedPoint
from sc_neurocore.sc.fixed import lif_step


def contract_lif(beta_q: int, theta_q: int):
    """Section 8's LIF (``sc.fixed.lif_step``) written as equations, its constants exact in Q0.8 / Q8.8."""
    return from_equations("v = beta*v + I", threshold="v > theta", reset="v = v - theta",
                          params={"beta": beta_q / 256, "theta": theta_q / 256}).compile("Q8.8")


def one(fixed, name="v", **state):
    """One step of one neuron: ``(next value of name, spike)``."""
    cur = state.pop("I")
    nxt, spike = fixed.step({k: np.array([x]) for k, x in state.items()}, np.array([cur]))
    return int(nxt[name][0]), int(spike[0])


# ------------------------------------------------------------------------------ the contract's LIF


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-32768, 32767), st.integers(-32768, 32767)), min_size=1, max_size=20),
       st.integers(0, 255), st.integers(1, 32767))
def test_lif_through_the_compiler_is_lif_step(pairs, beta_q, theta_q):
    """tests/sc/test_fixed.py::test_lif_step_reference's cases, through the compiler."""
    v0 = np.array([p[0] for p in pairs])
    cur = np.array([p[1] for p in pairs])
    nxt, spike = contract_lif(beta_q, theta_q).step({"v": v0}, cur)
    v1, s1 = lif_step(v0, cur, beta_q, theta_q)
    assert nxt["v"].tolist() == v1.tolist() and spike.tolist() == s1.tolist()


def test_lif_step_options_through_the_compiler():
    """The contract's other LIF settings: beta_q = 256 (IF: no multiplier), a subtracted reset_q other than the
    threshold, and the reset to zero."""
    g = np.random.default_rng(5)
    v, cur = g.integers(-32768, 32768, 4000), g.integers(-32768, 32768, 4000)
    cur[:1000] = g.integers(-300, 600, 1000)
    cases = [(256, 300, "v = v - theta", {}), (230, 256, "v = v - 300/256", {"reset_q": 300}),
             (200, 77, "v = 0", {"reset": "zero"})]
    for beta_q, theta_q, reset, kw in cases:
        f = from_equations("v = beta*v + I", threshold="v > theta", reset=reset,
                           params={"beta": beta_q / 256, "theta": theta_q / 256}).compile()
        nxt, spike = f.step({"v": v}, cur)
        ev, es = lif_step(v, cur, beta_q, theta_q, **kw)
        assert np.array_equal(nxt["v"], ev) and np.array_equal(spike, es), reset
        assert beta_q != 256 or not any(o.kind == "mul" for o in f.ops)


def test_lif_edges_of_lif_step_through_the_compiler():
    """tests/sc/test_fixed.py's edge cases and section 8's worked rows, through the compiler."""
    f = contract_lif(230, 256)
    nxt, s = f.step({"v": np.array([0, 0])}, np.array([256, 257]))  # strict threshold
    assert s.tolist() == [0, 1] and nxt["v"].tolist() == [256, 1]
    assert one(contract_lif(255, 1), v=32767, I=32767) == (32766, 1)  # saturates before the reset
    assert one(contract_lif(255, 256), v=-32768, I=-32768) == (-32768, 0)
    rows = [(300, 67, 230, 80, 1), (-300, 0, 230, -270, 0), (0, 256, 230, 256, 0), (32700, 500, 230, 29622, 1),
            (32767, 32767, 255, 32511, 1)]
    for v, i, beta, v_after, spike in rows:
        assert one(contract_lif(beta, 256), v=v, I=i) == (v_after, spike)
    for beta_q in (0, 1, 64, 128, 230, 255):  # every beta over a full sweep of v, two currents
        v = np.arange(-32768, 32768)
        for i in (-1000, 777):
            got, gs = contract_lif(beta_q, 300).step({"v": v}, np.full(v.shape, i))
            ev, es = lif_step(v, np.full(v.shape, i), beta_q, 300)
            assert np.array_equal(got["v"], ev) and np.array_equal(gs, es)


# ------------------------------------------------------------------------------ section 11, replayed


def test_doc_examples():
    lif = from_equations("dv/dt = -v/tau + I", params={"tau": 10.0}, dt=1.0).compile()
    assert [o.k for o in lif.ops if o.kind == "const"] == [29491]  # dt/tau folded: one multiplier
    assert one(lif, v=300, I=67) == (336, 0)
    assert one(lif, v=-300, I=0) == (-270, 0)
    assert one(from_equations("v = beta*v + I", params={"beta": 230 / 256}).compile(), v=300, I=67) == (336, 0)
    assert one(contract_lif(230, 256), v=300, I=67) == (80, 1)  # 336 > 256: spike, 336 - 256
    assert [o.k for o in contract_lif(230, 256).ops if o.kind == "const"][0] == 115
    half = {r: from_equations("v = 0.5*v").compile(rounding=r) for r in ("truncate", "round")}
    assert not any(o.kind == "mul" for o in half["truncate"].ops)
    assert one(half["truncate"], v=-3, I=0)[0] == -2 and one(half["round"], v=-3, I=0)[0] == -1
    add = {o: from_equations("v = v + I").compile(overflow=o) for o in ("saturate", "wrap")}
    assert one(add["saturate"], v=32767, I=1)[0] == 32767 and one(add["wrap"], v=32767, I=1)[0] == -32768
    e = from_equations("v = exp(I)", domains={"exp": (-1, 1)}).compile(lut_bits=4)
    (table,) = e.tables
    assert table.step_frac == 2 and table.lo_i == -4
    assert list(table.entries) == [math.floor(math.exp(j / 4) * 65536 + 0.5) for j in range(-4, 5)]
    assert list(table.entries) == [24109, 30957, 39750, 51039, 65536, 84150, 108051, 138740, 178145]
    assert one(e, v=0, I=77)[0] == 328 and one(e, v=0, I=1280)[0] == 695
    th = from_equations("v = I", threshold="v > 0.3", init={"v": 0}).compile()  # init: v is a state
    assert [o.k for o in th.ops if o.kind == "const"] == [76]
    assert one(th, v=0, I=77)[1] == 1 and one(th, v=0, I=76)[1] == 0
    rs = from_equations("v = v + I", threshold="v > 0.5", reset="v = v - 0.75").compile()
    assert [r.overflows for r in rs.ranges] == [True, False] and rs.ranges[1].exact == (-63 / 256, 32575 / 256)
    assert one(rs, v=32767, I=1) == (32575, 1)


# ------------------------------------------------------------------------------ more rules


def test_power_of_two_coefficients_are_shifts_and_others_one_multiplier():
    f = from_equations("v = 0.25*v - 2*I + 0.5").compile()
    assert not any(o.kind == "mul" for o in f.ops)
    # 0.25 v - 2 I + 0.5 at v = 100 (0.39), I = -3: exact 25 + 6 + 128 = 159 (no rounding needed)
    assert one(f, v=100, I=-3)[0] == 159
    g = from_equations("v = 0.3*v*I").compile()
    assert sum(o.kind == "mul" for o in g.ops) == 2  # v*I and the constant


def test_rounding_and_overflow_edges():
    for rounding, expect in (("truncate", [1, -2, 2, -3]), ("round", [2, -1, 3, -2])):
        f = from_equations("v = 0.5*v").compile(rounding=rounding)
        nxt, _ = f.step({"v": np.array([3, -3, 5, -5])}, np.zeros(4, np.int64))
        assert nxt["v"].tolist() == expect
    for overflow, expect in (("saturate", [32767, -32768, 100]), ("wrap", [-32768, 32767, 100])):
        f = from_equations("v = v + I").compile(overflow=overflow)
        nxt, _ = f.step({"v": np.array([32767, -32768, 50])}, np.array([1, -1, 50]))
        assert nxt["v"].tolist() == expect
    # round half up after a multiply: 0.75 * 1 LSB = 0.75 -> 1 (round) / 0 (truncate); -0.75 -> -1 / -1
    for rounding, expect in (("truncate", [0, -1]), ("round", [1, -1])):
        f = from_equations("v = 0.75*v").compile(rounding=rounding)
        assert f.step({"v": np.array([1, -1])}, np.zeros(2, np.int64))[0]["v"].tolist() == expect


def test_formats_per_signal_align_the_binary_points():
    f = from_equations("v = v + I; w = v").compile(formats={"v": "Q4.12", "w": "Q10.6"})
    assert f.formats["v"] == FixedPoint(4, 12) and f.formats["I"] == Q8_8
    nxt, _ = f.step({"v": np.array([4096]), "w": np.array([0])}, np.array([256]))  # 1.0 + 1.0
    assert nxt["v"].tolist() == [8192] and nxt["w"].tolist() == [128]
    f2 = from_equations("t = v + I; v = t").compile(formats={"t": "Q10.6"})
    # t = 1.5 + 1/256 -> truncated to 1/64 steps: 1.5; v back in Q8.8: 384
    assert one(f2, v=384, I=1)[0] == 384


def test_range_analysis_reports_each_assignment():
    f = from_equations("v = 0.5*v + I").compile()
    (row,) = f.ranges
    # 0.5 v + I over v, I in [-32768, 32767] (Q8.8): [-16384 - 32768, 16383 + 32767] -> [-192, 191.99...]
    assert row.exact == (-49152 / 256, 49150 / 256) and row.held == (-128.0, 32767 / 256) and row.overflows
    g = from_equations("v = 0.25*v").compile()
    assert not g.ranges[0].overflows and g.ranges[0].held == (-8192 / 256, 8191 / 256)
    assert "saturates" in f.report() and "v = 0.5*v + I" in f.report()
    assert not any(o.kind == "fit" for o in g.ops)  # nothing to hold: no saturation logic


def test_init_and_currents_quantise_half_up():
    f = from_equations("dv/dt = -v + I", init={"v": -0.5}).compile()
    assert f.init == {"v": -128}
    assert f.quantize_current(np.array([1.0, 0.3, -0.5])).tolist() == [256, 77, -128]


COMPILE_REFUSALS = [
    (("v = 1e-6*v",), {}, {}, "v = 1e-6*v", "rounds to 0 at coef_frac=16"),
    (("v = 200",), {}, {}, "v = 200", "the constant 200.0 assigned to v does not fit Q8.8"),
    (("dv/dt = -v",), {"init": {"v": 300}}, {}, "", "init['v'] = 300.0 does not fit Q8.8"),
    (("v = v*v*v*v*v",), {}, {}, "v = v*v*v*v*v", "needs 76 bits, more than the 63"),
    (("v = exp(v)",), {"domains": {"exp": (-20, 0)}}, {"lut_bits": 4}, "v = exp(v)",
     "needs more than 2**4 entries"),
    (("v = exp(v)",), {"domains": {"exp": (0, 100)}}, {}, "v = exp(v)", "does not fit 63 bits"),
]


@pytest.mark.parametrize("eqs,kw,ckw,expr,reason", COMPILE_REFUSALS, ids=[r[4][:30] for r in COMPILE_REFUSALS])
def test_compile_refusals(eqs, kw, ckw, expr, reason):
    with pytest.raises(EquationError) as info:
        from_equations(*eqs, **kw).compile(**ckw)
    assert info.value.expression == expr and reason in info.value.reason


@pytest.mark.parametrize("kw,fragment", [
    ({"fmt": "Q8"}, "written Qm.n"), ({"fmt": "Q0.8"}, "m >= 1"), ({"fmt": "Q30.8"}, r"m \+ n <= 32"),
    ({"formats": {"x": "Q8.8"}}, "not a signal of this neuron"), ({"overflow": "clip"}, "overflow must be"),
    ({"rounding": "nearest"}, "rounding must be"), ({"coef_frac": 41}, "coef_frac"), ({"lut_bits": 0}, "lut_bits"),
])
def test_bad_compile_options(kw, fragment):
    with pytest.raises(ValueError, match=fragment):
        from_equations("v = v + I").compile(**kw)


def test_parse_format():
    assert parse_format("Q8.8") == Q8_8 and parse_format(" q4.12 ") == FixedPoint(4, 12)
    with pytest.raises(ValueError, match="unsigned"):
        parse_format(FixedPoint(0, 8, False))


def test_stepper_checks_its_inputs():
    f = from_equations("v = v + I").compile()
    with pytest.raises(ValueError, match="outside its format"):
        f.step({"v": np.array([0])}, np.array([40000]))
    with pytest.raises(TypeError, match="integers"):
        f.step({"v": np.array([0])}, np.array([0.5]))
    with pytest.raises(ValueError, match="missing 'v'"):
        f.step({}, np.array([0]))


def test_program_is_plain_data():
    import json

    f = from_equations("v = exp(v) + I", threshold="v > 1", reset="v = 0", domains={"exp": (-2, 1)}).compile()
    prog = f.program()
    assert json.loads(json.dumps(prog)) == prog
    assert len(prog["ops"]) == len(f.ops) and prog["tables"][0]["entries"] == list(f.tables[0].entries)


# ------------------------------------------------------------------------------ runtime parameters


def runtime_lif():
    n = from_equations("v = beta*v + I", threshold="v > theta", reset="v = v - theta",
                       params={"beta": 0.5, "theta": 1.0}, runtime=("beta", "theta"))
    return n.compile(formats={"beta": "Q1.8"})


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(-32768, 32767), st.integers(-32768, 32767)), min_size=1, max_size=20),
       st.integers(0, 255), st.integers(1, 32767))
def test_runtime_parameters_lif_is_lif_step(pairs, beta_q, theta_q):
    """beta and theta as inputs of the step (the engine's per-layer registers): still lif_step."""
    v0, cur = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    nxt, spike = runtime_lif().step({"v": v0}, cur, {"beta": beta_q, "theta": theta_q})
    v1, s1 = lif_step(v0, cur, beta_q, theta_q)
    assert nxt["v"].tolist() == v1.tolist() and spike.tolist() == s1.tolist()


def test_runtime_parameters_defaults_float_and_checks():
    f = runtime_lif()
    assert f.params == {"beta": 128, "theta": 256} and f.formats["beta"] == FixedPoint(1, 8)
    assert one(f, v=100, I=10) == (60, 0)  # the defaults: 0.5 * 100 + 10
    assert f.quantize_params({"beta": 0.75}) == {"beta": 192}
    n = f.neuron
    assert n.runtime == {"beta": 0.5, "theta": 1.0}
    _, tr = n.run_float(np.array([[1.0], [1.0]]), params={"beta": 0.25})
    assert tr["v"][:, 0].tolist() == [1.0, 0.25]  # 0.25 * 1 + 1 = 1.25 > 1: spike, - 1
    with pytest.raises(ValueError, match="not a runtime parameter"):
        f.step({"v": np.array([0])}, np.array([0]), {"tau": 1})
    with pytest.raises(ValueError, match="outside its format"):
        f.step({"v": np.array([0])}, np.array([0]), {"beta": 300})
    with pytest.raises(EquationError, match="does not fit Q1.8"):
        f.quantize_params({"beta": 1.5})
    with pytest.raises(EquationError, match="runtime names 'gamma'"):
        from_equations("v = v + I", params={"beta": 1}, runtime=("gamma",))
    with pytest.raises(EquationError, match="division by the runtime parameter 'tau'"):
        from_equations("v = v / tau", params={"tau": 2.0}, runtime=("tau",))
    with pytest.raises(EquationError, match="'beta' is params: it cannot be assigned"):
        from_equations("beta = v", params={"beta": 1}, runtime=("beta",))


def test_split_saturation_keeps_the_integers():
    """The threshold rearranged through the saturation: the contract's LIF still lif_step over a full sweep."""
    n = from_equations("v = beta*v + I", threshold="v > theta", reset="v = v - theta",
                       params={"beta": 0.5, "theta": 1.0}, runtime=("beta", "theta"))
    plain, split = (n.compile(formats={"beta": "Q1.8"}, split_saturation=s) for s in (False, True))
    assert len(split.ops) > len(plain.ops) and sum(o.kind == "select" for o in split.ops) > 2
    v = np.arange(-32768, 32768, 7)
    for beta_q, theta_q, i in ((230, 256, 300), (255, 1, 32767), (0, 32767, -32768), (128, 77, -5)):
        cur = np.full(v.shape, i)
        got = split.step({"v": v}, cur, {"beta": beta_q, "theta": theta_q})
        ev, es = lif_step(v, cur, beta_q, theta_q)
        assert np.array_equal(got[0]["v"], ev) and np.array_equal(got[1], es)
    with pytest.raises(TypeError, match="split_saturation"):
        n.compile(split_saturation="yes")


# ------------------------------------------------------------------ declared ranges, resets under the threshold


def _lif(runtime):
    return from_equations("v = beta*v + I", threshold="v > theta", reset="v = v - theta",
                          params={"beta": 0.5, "theta": 1.0}, runtime=runtime).compile(formats={"beta": "Q2.8"})


def test_declared_runtime_ranges_narrow_the_parameters_and_are_enforced():
    bounded = _lif({"beta": (0, 1), "theta": (1 / 256, None)})
    free = _lif(("beta", "theta"))
    assert bounded.param_range("beta") == (0, 256) and bounded.param_range("theta") == (1, 32767)
    assert free.param_range("beta") == (-512, 511) and free.param_range("theta") == (-32768, 32767)
    # theta >= 1 LSB: after a spike v - theta stays in Q8.8, the reset needs no saturation; without the range it does
    assert [r.overflows for r in bounded.ranges] == [True, False]
    assert [r.overflows for r in free.ranges] == [True, True]
    assert max(op.width for op in bounded.ops) < max(op.width for op in free.ops)
    g = np.random.default_rng(0)
    v, cur = g.integers(-32768, 32768, 4000), g.integers(-32768, 32768, 4000)
    for beta_q, theta_q in ((0, 1), (256, 32767), (230, 256), (128, 1)):
        got = bounded.step({"v": v}, cur, {"beta": beta_q, "theta": theta_q})
        want = lif_step(v, cur, beta_q, theta_q)
        assert got[0]["v"].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
    with pytest.raises(ValueError, match=r"params\['theta'\] holds values in \[0, 0\], outside its declared range"):
        bounded.step({"v": v}, cur, {"theta": 0})
    with pytest.raises(ValueError, match="outside its declared range"):
        bounded.quantize_params({"beta": -0.5})


@pytest.mark.parametrize(("runtime", "text"), [
    ({"beta": (0.6, 1)}, "lies outside its declared range"),
    ({"beta": (1, 0)}, "is an empty range"),
    ({"beta": "0..1"}, "must be a range"),
    ({"beta": (0.5001, 0.5002)}, "holds no integer"),
])
def test_declared_range_refusals(runtime, text):
    beta = 0.50015 if "no integer" in text else 0.5
    with pytest.raises(EquationError, match=text):
        from_equations("v = beta*v + I", threshold="v > 1", params={"beta": beta}, runtime=runtime).compile()


@pytest.mark.parametrize(("threshold", "reset", "fits"), [
    ("v > 0.5", "v = v - 0.75", True),      # v >= 0.5 + 1 LSB: v - 0.75 >= -0.25
    ("v >= 1", "v = v - 100", True),
    ("v < -0.5", "v = v + 100", True),      # v <= -0.5 - 1 LSB: v + 100 < 100
    ("-v > 1", "v = v + 120", True),        # coefficient -1: v < -1
    ("-v > 1", "v = v - 100", False),       # v < -1 does not bound v - 100 from below
    ("v >= 1", "v = v + 127", False),       # v + 127 >= 128 overflows
    ("v - w > 2", "v = v - 2; w = w + 1", True),   # v > 2 + w >= 2 - 64 (w = 0.5 w in [-64, 64))
    ("v <= -100", "v = v * 2", False),
])
def test_resets_under_the_threshold_equal_saturating_everything(threshold, reset, fits):
    """Every membrane of the format and a grid of currents: the compiled step (whose reset drops its saturation
    where the threshold bounds it) equals a reference that saturates every assignment."""
    n = from_equations("v = v + I", "w = 0.5*w", threshold=threshold, reset=reset)
    f = n.compile()
    held = [r for r in f.ranges if r.text.startswith("v =") and r.text != "v = v + I"]
    assert [r.overflows for r in held] == [not fits]
    v = np.repeat(np.arange(-32768, 32768, 7), 3)
    cur = np.tile([0, 300, -30000], len(v) // 3)
    w = np.tile([0, 32767, -32768], len(v) // 3)
    got, spike = f.step({"v": v, "w": w}, cur)
    sat = lambda x: np.clip(x, -32768, 32767)  # noqa: E731
    v1 = sat(v + cur)
    w1 = (w * 32768) >> 16  # 0.5 w, floor
    cond = {"v > 0.5": v1 > 128, "v >= 1": v1 >= 256, "v < -0.5": v1 < -128, "-v > 1": -v1 > 256,
            "v - w > 2": v1 - w1 > 512, "v <= -100": v1 <= -25600}[threshold]
    r = {"v = v - 0.75": v1 - 192, "v = v - 100": v1 - 25600, "v = v + 100": v1 + 25600, "v = v + 120": v1 + 30720,
         "v = v + 127": v1 + 32512, "v = v - 2; w = w + 1": v1 - 512, "v = v * 2": v1 * 2}[reset]
    assert spike.tolist() == cond.astype(int).tolist()
    assert got["v"].tolist() == np.where(cond, sat(r), v1).tolist()
