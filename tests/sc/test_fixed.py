"""scale_count and lif_step against plain-Python integer arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sc_neurocore.sc.contract import Q8_8
from sc_neurocore.sc.fixed import lif_step, scale_count


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
        lif_step(0, 0, 256, 1)
    with pytest.raises(ValueError, match="theta_q"):
        lif_step(0, 0, 1, 0)


def test_lif_step_scalar():
    assert lif_step(32767, 32767, 255, 1) == (32766, 1)


def test_scalar_inputs_give_python_ints():
    assert type(scale_count(3, 3, 1)) is int and scale_count(3, 3, 1) == 5  # (9 + 1) >> 1
    v, s = lif_step(300, 67, 230, 256)
    assert (type(v), type(s)) == (int, int) and (v, s) == (80, 1)
