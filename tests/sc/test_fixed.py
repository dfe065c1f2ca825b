"""scale_count and the neuron steps (lif_step, synaptic_step, alif_step, alpha_step, second_order_step, expif_step,
neuron_step) against plain-Python integer arithmetic."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sc_neurocore.sc.contract import Q8_8, FixedPoint
from sc_neurocore.sc.fixed import (
    adex_step,
    alif_step,
    alpha_step,
    expif_step,
    expif_table,
    lif_step,
    neuron_step,
    scale_count,
    second_order_step,
    synaptic_step,
)

from .sc_reference import expif_drive, neuron_reference


def _sat(x):
    return max(-32768, min(32767, x))


@given(st.lists(st.integers(-(2**20), 2**20), min_size=1, max_size=10), st.integers(0, 2**16 - 1),
       st.integers(1, 40), st.integers(-40000, 40000))
def test_scale_count_reference(counts, m, sh, bias):
    got = scale_count(np.array(counts), m, sh, bias)
    exp = [_sat(((c * m + 2 ** (sh - 1)) // 2**sh) + bias) for c in counts]  # floor division = arithmetic shift
    assert got.tolist() == exp
    assert scale_count(counts[0], m, sh, bias) == exp[0]


def test_scale_count_rounds_half_up_and_saturates():
    assert scale_count(np.array([1, -1, 3, -3]), 1, 1).tolist() == [1, 0, 2, -1]  # 0.5 -> 1, -0.5 -> 0
    assert scale_count(10**9, 2**15, 1) == 32767
    assert scale_count(-(10**9), 2**15, 1) == -32768
    with pytest.raises(ValueError, match="shift"):
        scale_count(1, 1, 0)
    with pytest.raises(TypeError, match="integers"):
        scale_count(np.array([1.5]), 1, 1)


@given(st.lists(st.tuples(st.integers(-32768, 32767), st.integers(-32768, 32767)), min_size=1, max_size=10),
       st.integers(0, 255), st.integers(1, 32767))
def test_lif_step_reference(pairs, beta_q, theta_q):
    v0 = np.array([p[0] for p in pairs])
    cur = np.array([p[1] for p in pairs])
    v1, s = lif_step(v0, cur, beta_q, theta_q)
    for (v, i), vv, ss in zip(pairs, v1.tolist(), s.tolist()):
        u = _sat(((beta_q * v) >> 8) + i)
        spike = 1 if u > theta_q else 0
        assert (vv, ss) == (u - spike * theta_q, spike)


def test_lif_step_strict_threshold_and_no_wrap():
    v, s = lif_step(np.array([0, 0]), np.array([256, 257]), 230, 256)
    assert s.tolist() == [0, 1] and v.tolist() == [256, 1]
    v, s = lif_step(np.array([32767]), np.array([32767]), 255, 1)  # saturates at +max before the reset
    assert (v.tolist(), s.tolist()) == ([32766], [1])
    v, s = lif_step(np.array([-32768]), np.array([-32768]), 255, 256)
    assert (v.tolist(), s.tolist()) == ([-32768], [0])
    assert Q8_8.max_int == 32767
    with pytest.raises(ValueError, match="beta_q"):
        lif_step(0, 0, 257, 1)  # 256 is no leak (integrate-and-fire); above it is out of range
    with pytest.raises(ValueError, match="theta_q"):
        lif_step(0, 0, 1, 0)


def test_lif_step_scalar():
    assert lif_step(32767, 32767, 255, 1) == (32766, 1)


def test_scalar_inputs_give_python_ints():
    assert type(scale_count(3, 3, 1)) is int and scale_count(3, 3, 1) == 5  # (9 + 1) >> 1
    v, s = lif_step(300, 67, 230, 256)
    assert (type(v), type(s)) == (int, int) and (v, s) == (80, 1)


@pytest.mark.parametrize("neuron, states, params", [
    ("synaptic", {"i_syn": 100, "v": 0}, {"alpha_q": 128}),
    ("alif", {"a": 10, "v": 300}, {"adapt_decay_q": 243, "adapt_strength_q": 51}),
    ("alpha", {"i_exc": 256, "i_inh": 30, "v": 0}, {"alpha_exc_q": 128, "alpha_inh_q": 200}),
    ("second_order", {"a": 300, "v": 44}, {"alpha_q": 205, "stiffness_q": 26}),
    ("expif", {"v": 300}, {"v_rheobase_q": 205, "delta_t_q": 26}),
    ("adex", {"w": 100, "v": 300}, {"v_rheobase_q": 205, "delta_t_q": 26, "adapt_decay_q": 243, "a_q": 26, "b_q": 13}),
])
def test_every_neuron_step_gives_python_ints_for_scalars(neuron, states, params):
    """Scalar states and current in, Python ints out: every state and the spike (a NumPy scalar would leak into
    JSON, the CLI's output and the comparisons with the gateware's integers)."""
    out, spike = neuron_step(neuron, states, 67, 230, 256, params)
    assert set(out) == set(states) and type(spike) is int
    assert all(type(v) is int for v in out.values()), {k: type(v) for k, v in out.items()}


# ------------------------------------------------------------------ the peers' conventions (issue 12, item 3)


def _reference_lif(v, i, beta_q, theta_q, reset, reset_q):
    """One neuron, plain Python integers, from docs/sc-arithmetic.md section 8 (not from lif_step)."""
    v = max(-32768, min(32767, (beta_q * v) // 256 + i))  # // is a floor division, as >> is
    s = 1 if v > theta_q else 0
    if s and reset == "zero":
        v = 0
    elif s:
        v -= theta_q if reset_q is None else reset_q
    return v, s


@pytest.mark.parametrize("beta_q,theta_q,reset,reset_q", [
    (256, 256, "subtract", None),  # integrate-and-fire: no leak at all
    (230, 256, "zero", None),
    (230, 256, "subtract", 284),  # snnTorch's delayed reset: theta / beta = 1.111 -> 284
    (256, 300, "zero", None),
    (0, 1, "subtract", 32767),
])
def test_lif_step_conventions_equal_the_reference(beta_q, theta_q, reset, reset_q):
    rng = np.random.default_rng(beta_q + theta_q)  # seed: beta_q + theta_q; exact integers
    cur = rng.integers(-400, 700, (60, 8))
    cur[:5] = 32767
    cur[10:15] = -32768
    v = np.zeros(8, dtype=np.int64)
    ref = [0] * 8
    fired = 0
    for t in range(len(cur)):
        v, s = lif_step(v, cur[t], beta_q, theta_q, reset=reset, reset_q=reset_q)
        for j in range(8):
            ref[j], sj = _reference_lif(ref[j], int(cur[t, j]), beta_q, theta_q, reset, reset_q)
            assert int(s[j]) == sj
            fired += sj
        assert v.tolist() == ref
    assert fired > 50


def test_if_has_no_leak_and_ties_do_not_fire():
    assert lif_step(1000, 0, 256, 2000) == (1000, 0)  # beta_q = 256: v kept exactly
    assert lif_step(-1001, 0, 256, 2000) == (-1001, 0)
    assert lif_step(1000, 0, 255, 2000) == (996, 0)  # 255/256 would leak
    assert lif_step(0, 256, 256, 256) == (256, 0)  # v == theta: no spike (strict >)
    assert lif_step(0, 257, 256, 256, reset="zero") == (0, 1)
    assert lif_step(0, 257, 256, 256, reset_q=300) == (-43, 1)


@pytest.mark.parametrize("kwargs,text", [
    (dict(reset="hard"), "reset must be one of"),
    (dict(reset="zero", reset_q=3), "takes none"),
    (dict(reset_q=0), "reset_q must be None"),
    (dict(reset_q=True), "reset_q must be None"),
])
def test_lif_step_bad_reset_raises(kwargs, text):
    with pytest.raises(ValueError, match=text):
        lif_step(0, 0, 200, 256, **kwargs)


@settings(max_examples=60, deadline=None)
@given(
    alpha_q=st.integers(0, 256),
    beta_q=st.integers(0, 256),
    theta_q=st.integers(1, 32767),
    reset=st.sampled_from(["subtract", "zero"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_synaptic_step_equals_python_ints(alpha_q, beta_q, theta_q, reset, seed):
    """Every state against plain Python ints (floor shifts, saturation of both sums, the reset of v only)."""
    rng = np.random.default_rng(seed)
    i0, v0, cur = (rng.integers(-32768, 32768, 64) for _ in range(3))
    i1, v1, s1 = synaptic_step(i0, v0, cur, alpha_q, beta_q, theta_q, reset=reset)
    for j in range(64):
        i = min(max((alpha_q * int(i0[j])) // 256 + int(cur[j]), -32768), 32767)
        v = min(max((beta_q * int(v0[j])) // 256 + i, -32768), 32767)
        s = int(v > theta_q)
        v = (0 if s else v) if reset == "zero" else v - s * theta_q
        assert (int(i1[j]), int(v1[j]), int(s1[j])) == (i, v, s)


def test_neuron_step_dispatches_and_checks():
    states, spike = neuron_step("synaptic", {"i_syn": 100, "v": 0}, 50, 230, 256, {"alpha_q": 128})
    assert states == {"i_syn": 100, "v": 100} and spike == 0
    states, spike = neuron_step("lif", {"v": 300}, 67, 230, 256)
    assert states == {"v": 80} and spike == 1
    with pytest.raises(ValueError, match="neuron must be one of"):
        neuron_step("recurrent", {"v": 0}, 0, 230, 256)
    with pytest.raises(ValueError, match=r"takes the constants \['alpha_q'\]"):
        neuron_step("synaptic", {"i_syn": 0, "v": 0}, 0, 230, 256)
    with pytest.raises(ValueError, match=r"alpha_q must be an integer in \[0, 256\]"):
        neuron_step("synaptic", {"i_syn": 0, "v": 0}, 0, 230, 256, {"alpha_q": 257})
    with pytest.raises(ValueError, match="has the states"):
        neuron_step("synaptic", {"v": 0}, 0, 230, 256, {"alpha_q": 1})


@settings(max_examples=60, deadline=None)
@given(
    decay_q=st.integers(0, 256),
    strength_q=st.integers(0, 32767),
    beta_q=st.integers(0, 256),
    theta_q=st.integers(1, 32767),
    seed=st.integers(0, 2**32 - 1),
)
def test_alif_step_equals_python_ints(decay_q, strength_q, beta_q, theta_q, seed):
    """The adaptive threshold of the adaptation before the step, the subtract reset by it, the adaptation's decay
    and its +1 on a spike, every sum saturated: against plain Python ints."""
    rng = np.random.default_rng(seed)
    a0, v0, cur = rng.integers(0, 32768, 64), rng.integers(-32768, 32768, 64), rng.integers(-32768, 32768, 64)
    a1, v1, s1 = alif_step(a0, v0, cur, decay_q, strength_q, beta_q, theta_q)
    for j in range(64):
        th = _sat(theta_q + (strength_q * int(a0[j])) // 256)
        v = _sat((beta_q * int(v0[j])) // 256 + int(cur[j]))
        s = int(v > th)
        a = _sat(_sat((decay_q * int(a0[j])) // 256) + 256 * s)
        assert (int(a1[j]), int(v1[j]), int(s1[j])) == (a, v - s * th, s)


def test_alif_takes_only_its_reset():
    with pytest.raises(ValueError, match="subtracting its adaptive threshold"):
        neuron_step("alif", {"a": 0, "v": 0}, 0, 230, 256, {"adapt_decay_q": 243, "adapt_strength_q": 51}, reset="zero")
    with pytest.raises(ValueError, match=r"adapt_strength_q must be an integer in \[0, 32767\]"):
        alif_step(0, 0, 0, 243, -1, 230, 256)


@settings(max_examples=60, deadline=None)
@given(
    exc_q=st.integers(0, 256),
    inh_q=st.integers(0, 256),
    beta_q=st.integers(0, 256),
    theta_q=st.integers(1, 32767),
    reset=st.sampled_from(["subtract", "zero"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_alpha_step_equals_python_ints(exc_q, inh_q, beta_q, theta_q, reset, seed):
    """The excitatory current of max(I, 0), the inhibitory one of max(-I, 0) (-I of -32768 is 32768 before the
    saturation), the membrane of their exact difference, every sum saturated once: against plain Python ints."""
    rng = np.random.default_rng(seed)
    e0, h0 = rng.integers(0, 32768, 64), rng.integers(0, 32768, 64)
    v0, cur = rng.integers(-32768, 32768, 64), rng.integers(-32768, 32768, 64)
    cur[:4] = [-32768, 32767, 0, -1]
    e1, h1, v1, s1 = alpha_step(e0, h0, v0, cur, exc_q, inh_q, beta_q, theta_q, reset=reset)
    for j in range(64):
        c = int(cur[j])
        e = _sat((exc_q * int(e0[j])) // 256 + max(c, 0))
        h = _sat((inh_q * int(h0[j])) // 256 + max(-c, 0))
        v = _sat((beta_q * int(v0[j])) // 256 + e - h)
        s = int(v > theta_q)
        v = (0 if s else v) if reset == "zero" else v - s * theta_q
        assert (int(e1[j]), int(h1[j]), int(v1[j]), int(s1[j])) == (e, h, v, s)


def test_alpha_neuron_step_dispatches_and_checks():
    states, spike = neuron_step("alpha", {"i_exc": 256, "i_inh": 0, "v": 0}, -100, 256, 256,
                                {"alpha_exc_q": 128, "alpha_inh_q": 256})
    assert states == {"i_exc": 128, "i_inh": 100, "v": 28} and spike == 0
    with pytest.raises(ValueError, match=r"alpha_inh_q must be an integer in \[0, 256\]"):
        alpha_step(0, 0, 0, 0, 200, 300, 230, 256)
    with pytest.raises(ValueError, match="has the states"):
        neuron_step("alpha", {"i_exc": 0, "v": 0}, 0, 230, 256, {"alpha_exc_q": 1, "alpha_inh_q": 1})


@settings(max_examples=60, deadline=None)
@given(
    alpha_q=st.integers(0, 256),
    stiffness_q=st.integers(0, 32767),
    beta_q=st.integers(0, 256),
    theta_q=st.integers(1, 32767),
    reset=st.sampled_from(["subtract", "zero"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_second_order_step_equals_python_ints(alpha_q, stiffness_q, beta_q, theta_q, reset, seed):
    """The inertial term of the membrane before the step, one floor over the exact alpha a - stiffness v (not a floor
    per product), saturated, then the LIF step with it as the current: against plain Python ints."""
    rng = np.random.default_rng(seed)
    a0, v0, cur = (rng.integers(-32768, 32768, 64) for _ in range(3))
    a1, v1, s1 = second_order_step(a0, v0, cur, alpha_q, stiffness_q, beta_q, theta_q, reset=reset)
    for j in range(64):
        a = _sat((alpha_q * int(a0[j]) - stiffness_q * int(v0[j])) // 256 + int(cur[j]))
        v = _sat((beta_q * int(v0[j])) // 256 + a)
        s = int(v > theta_q)
        v = (0 if s else v) if reset == "zero" else v - s * theta_q
        assert (int(a1[j]), int(v1[j]), int(s1[j])) == (a, v, s)


def test_second_order_step_in_other_formats():
    """Q4.12 states with an 8-bit leak, and Q12.4 with a 10-bit one: the two products aligned on the finer binary
    point, one floor (the values drawn where a floor per product differs)."""
    for fmt, bb, k_q in ((FixedPoint(4, 12), 8, 3000), (FixedPoint(12, 4), 10, 5)):
        f = fmt.frac_bits
        rng = np.random.default_rng(f)
        a0, v0, cur = (rng.integers(fmt.min_int // 8, fmt.max_int // 8, 200) for _ in range(3))
        a1, _, _ = second_order_step(a0, v0, cur, 200, k_q, 180, 100, fmt, bb)
        want = [max(fmt.min_int, min(fmt.max_int, (200 * int(a) * 2**f - k_q * int(v) * 2**bb) // 2 ** (bb + f)
                                     + int(c))) for a, v, c in zip(a0, v0, cur)]
        per_product = [max(fmt.min_int, min(fmt.max_int, (200 * int(a)) // 2**bb - (k_q * int(v)) // 2**f + int(c)))
                       for a, v, c in zip(a0, v0, cur)]
        assert a1.tolist() == want and per_product != want


def test_second_order_neuron_step_dispatches_and_checks():
    states, spike = neuron_step("second_order", {"a": 300, "v": 44}, 0, 230, 256, {"alpha_q": 205, "stiffness_q": 26})
    assert states == {"a": 235, "v": 18} and spike == 1  # (61500 - 1144) >> 8 = 235; 39 + 235 = 274 > 256
    with pytest.raises(ValueError, match=r"stiffness_q must be an integer in \[0, 32767\]"):
        second_order_step(0, 0, 0, 200, -1, 230, 256)
    with pytest.raises(ValueError, match=r"takes the constants \['alpha_q', 'stiffness_q'\]"):
        neuron_step("second_order", {"a": 0, "v": 0}, 0, 230, 256, {"alpha_q": 1})


@settings(max_examples=60, deadline=None)
@given(
    beta_q=st.integers(0, 256),
    theta_q=st.integers(1, 1000),
    v_rheobase_q=st.integers(-500, 1000),
    delta_t_q=st.integers(16, 4000),
    seed=st.integers(0, 2**32 - 1),
)
def test_expif_step_equals_python_fractions(beta_q, theta_q, v_rheobase_q, delta_t_q, seed):
    """The table index from min(v, theta) (clamped to the table), one floor of beta v + (1 - beta) delta_t exp(x),
    saturated, the subtract reset: against the rules computed on Fractions (tests/sc/sc_reference.py), over the whole
    membrane range (saturating ends included) and the table's top and bottom."""
    top = -(-16 * (theta_q - v_rheobase_q) // delta_t_q)
    if top > 256:
        with pytest.raises(ValueError, match="table top"):
            expif_step(0, 0, v_rheobase_q, delta_t_q, beta_q, theta_q)
        return
    rng = np.random.default_rng(seed)
    v0 = np.concatenate([rng.integers(-32768, 32768, 60), [-32768, 32767, theta_q, theta_q - 1, v_rheobase_q, 0]])
    cur = np.concatenate([rng.integers(-32768, 32768, 60), [32767, -32768, 0, 0, 0, 0]])
    v1, s1 = expif_step(v0, cur, v_rheobase_q, delta_t_q, beta_q, theta_q)
    for j in range(len(v0)):
        v = _sat(expif_drive(int(v0[j]), beta_q, theta_q, v_rheobase_q, delta_t_q, 8, 8) + int(cur[j]))
        s = int(v > theta_q)
        assert (int(v1[j]), int(s1[j])) == (v - s * theta_q, s)


def test_expif_index_clamped_at_the_table_top_in_a_wide_format():
    """In a 32-bit membrane format the rounding of ``1 / delta_t`` to 16 fraction bits, times a threshold of about
    2**26 LSBs, carries the table index of ``v = theta`` 24 steps past the table's top (computed here on Fractions):
    the upper clamp is what keeps the lookup on the table's last entry. The step equals the written rules
    (tests/sc/sc_reference.py) there, below it and past the threshold."""
    fmt = FixedPoint(24, 8)
    theta_q, r, d, beta_q = 67788654, 66081012, 2996039, 200
    inv = Fraction(math.floor(Fraction(2**8, d) * 2**16 + Fraction(1, 2)), 2**16)
    off = Fraction(math.floor(Fraction(-r, d) * 2**16 + Fraction(1, 2)), 2**16)
    top = math.ceil(Fraction(16 * (theta_q - r), d))
    assert math.floor(16 * (Fraction(theta_q, 2**8) * inv + off)) == top + 24  # the premise: past the top
    v0 = np.array([theta_q, theta_q + 1000, fmt.max_int, theta_q - 3_000_000, r, 0, fmt.min_int], dtype=np.int64)
    cur = np.array([0, 5, -fmt.max_int, 123, 0, 7, 0], dtype=np.int64)
    v1, s1 = expif_step(v0, cur, r, d, beta_q, theta_q, fmt)
    for j in range(len(v0)):
        v = max(fmt.min_int, min(fmt.max_int, expif_drive(int(v0[j]), beta_q, theta_q, r, d, 8, 8) + int(cur[j])))
        s = int(v > theta_q)
        assert (int(v1[j]), int(s1[j])) == (v - s * theta_q, s)


def test_expif_table_and_checks():
    """The cell's defaults (theta 1, v_rheobase 0.8 -> 205, delta_t 0.1 -> 26): the table's top is ceil(16 * 51 / 26) =
    32 (x = 2), 161 points, its top entry round(e**2 * 2**16); the contract's ranges refused by name."""
    lo_i, table = expif_table(256, 205, 26)
    assert (lo_i, len(table), int(table[-1]), int(table[0])) == (-128, 161, 484249, round(np.exp(-8) * 65536))
    states, spike = neuron_step("expif", {"v": 300}, 0, 230, 256, {"v_rheobase_q": 205, "delta_t_q": 26})
    assert spike == 1 and states == {"v": 31}
    with pytest.raises(ValueError, match=r"delta_t_q must be an integer in \[16, 32767\]"):
        expif_step(0, 0, 205, 15, 230, 256)
    with pytest.raises(ValueError, match=r"v_rheobase_q must be an integer in \[-32768, 32767\]"):
        expif_step(0, 0, 40000, 26, 230, 256)
    with pytest.raises(ValueError, match="subtracting its threshold"):
        neuron_step("expif", {"v": 0}, 0, 230, 256, {"v_rheobase_q": 205, "delta_t_q": 26}, reset="zero")
    with pytest.raises(ValueError, match="8 to 16 fraction bits"):
        expif_step(0, 0, 20, 4, 230, 16, FixedPoint(12, 4))


@settings(max_examples=60, deadline=None)
@given(
    beta_q=st.integers(0, 256),
    adapt_decay_q=st.integers(0, 256),
    a_q=st.integers(-32768, 32767),
    b_q=st.integers(0, 32767),
    seed=st.integers(0, 2**32 - 1),
)
def test_adex_step_equals_python_fractions(beta_q, adapt_decay_q, a_q, b_q, seed):
    """AdEx: ExpIF's drive minus the adaptation before the step; w = adapt_decay w + (1 - adapt_decay) a v_before, one
    floor, saturated, + b (saturated) on a spike: against the plain-Python neuron reference (Fractions), over the whole
    range of both states (saturating ends included), the cell's table (theta 256, v_rheobase 205, delta_t 26)."""
    from types import SimpleNamespace

    rng = np.random.default_rng(seed)
    w0, v0, cur = (np.concatenate([rng.integers(-32768, 32768, 60), ends]) for ends in
                   ([32767, -32768, 0, 0], [32767, -32768, 256, 257], [32767, -32768, 0, 0]))
    w1, v1, s1 = adex_step(w0, v0, cur, 205, 26, adapt_decay_q, a_q, b_q, beta_q, 256)
    params = {"v_rheobase_q": 205, "delta_t_q": 26, "adapt_decay_q": adapt_decay_q, "a_q": a_q, "b_q": b_q}
    layer = SimpleNamespace(neuron="adex", neuron_params=params, beta_q=beta_q, threshold_q=256, reset="subtract",
                            reset_q=None)
    for j in range(len(v0)):
        s, new = neuron_reference(layer, {"w": int(w0[j]), "v": int(v0[j])}, int(cur[j]), Q8_8, 8)
        assert (int(w1[j]), int(v1[j]), int(s1[j])) == (new["w"], new["v"], s)


def test_adex_neuron_step_dispatches_and_checks():
    p = {"v_rheobase_q": 205, "delta_t_q": 26, "adapt_decay_q": 243, "a_q": 26, "b_q": 13}
    states, spike = neuron_step("adex", {"w": 100, "v": 300}, 0, 230, 256, p)
    # w' = floor((243 * 100 * 256 + 13 * 26 * 300) / 65536) = floor(6322200 / 65536) = 96;
    # v = 287 (expif_step's drive of 300, docs/sc-arithmetic.md) - 100 = 187: no spike
    assert states == {"w": 96, "v": 187} and spike == 0
    states, spike = neuron_step("adex", {"w": -100, "v": 300}, 0, 230, 256, p)
    # w' = floor((243 * -100 * 256 + 13 * 26 * 300) / 65536) = floor(-6119400 / 65536) = -94, + 13 on the spike;
    # v = 287 + 100 = 387 > 256: a spike, 387 - 256
    assert states == {"w": -94 + 13, "v": 387 - 256} and spike == 1
    with pytest.raises(ValueError, match=r"b_q must be an integer in \[0, 32767\]"):
        adex_step(0, 0, 0, 205, 26, 243, 26, -1, 230, 256)
    with pytest.raises(ValueError, match="subtracting its threshold"):
        neuron_step("adex", {"w": 0, "v": 0}, 0, 230, 256, p, reset="zero")
