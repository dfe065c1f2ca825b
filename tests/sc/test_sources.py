"""Random sources: LFSR periods (brute force and algebraic), Galois/reciprocal forms, Sobol nets, seeds."""

from __future__ import annotations

import numpy as np
import pytest
from sc_neurocore.sc.contract import ROLE_INPUT, ROLE_WEIGHT, SCConfig
from sc_neurocore.sc.sources import (
    LFSR_TAPS,
    lfsr_next,
    lfsr_states,
    lfsr_tap_mask,
    lfsr_taps,
    sobol_values,
    source_seed,
    source_values,
)

from . import sc_reference as ref


def _poly_from_taps(width, taps):
    """x^n + sum x^t (t in taps, t < n) + 1 as an int bit mask."""
    p = (1 << width) | 1
    for t in taps:
        if t != width:
            p |= 1 << t
    return p


def _polymulmod(a, b, p, n):
    r = 0
    while b:
        if b & 1:
            r ^= a
        b >>= 1
        a <<= 1
        if a >> n & 1:
            a ^= p
    return r


def _polypow(e, p, n):
    result, base = 1, 2  # the polynomial x
    while e:
        if e & 1:
            result = _polymulmod(result, base, p, n)
        base = _polymulmod(base, base, p, n)
        e >>= 1
    return result


def _prime_factors(m):
    out, d = set(), 2
    while d * d <= m:
        while m % d == 0:
            out.add(d)
            m //= d
        d += 1
    if m > 1:
        out.add(m)
    return out


@pytest.mark.parametrize("width", sorted(LFSR_TAPS))
@pytest.mark.parametrize("reciprocal", [False, True])
def test_polynomial_is_primitive(width, reciprocal):
    """The order of x modulo p is 2**n - 1 (so p is irreducible and primitive)."""
    p = _poly_from_taps(width, lfsr_taps(width, reciprocal))
    order = (1 << width) - 1
    assert _polypow(order, p, width) == 1
    for r in _prime_factors(order):
        assert _polypow(order // r, p, width) != 1, (width, r)


@pytest.mark.parametrize("width", [w for w in sorted(LFSR_TAPS) if w <= 16])
@pytest.mark.parametrize("kind", ["fibonacci", "galois"])
@pytest.mark.parametrize("reciprocal", [False, True])
def test_lfsr_period_brute_force(width, kind, reciprocal):
    period = (1 << width) - 1
    seed = 1 + (0x5A5A % period)
    states = lfsr_states(seed, width, period + 1, kind=kind, reciprocal=reciprocal)
    assert states[period] == seed
    body = states[:period]
    assert body.min() >= 1 and body.max() <= period  # never 0, n bits
    assert np.unique(body).size == period  # every non-zero state once


@pytest.mark.parametrize("width", sorted(LFSR_TAPS))
@pytest.mark.parametrize("kind", ["fibonacci", "galois"])
def test_lfsr_next_matches_plain_reference(width, kind):
    rng = np.random.default_rng(width)
    for reciprocal in (False, True):
        tl = ref.taps(width, reciprocal)
        mask = lfsr_tap_mask(width, reciprocal)
        for s in rng.integers(1, 1 << width, size=20):
            assert lfsr_next(int(s), width, kind, mask) == ref.lfsr_step(int(s), width, tl, kind)


def test_lfsr_steps_and_errors():
    a = lfsr_states(7, 8, 50, steps=3)
    b = lfsr_states(7, 8, 150)
    np.testing.assert_array_equal(a, b[::3])
    with pytest.raises(ValueError, match="never 0"):
        lfsr_states(0, 8, 4)
    with pytest.raises(ValueError, match="width"):
        lfsr_states(1, 3, 4)
    with pytest.raises(ValueError, match="steps"):
        lfsr_states(1, 8, 4, steps=9)


@pytest.mark.parametrize("dim", [0, 1])
@pytest.mark.parametrize("mask", [0, 0x5B])
def test_sobol_balance_and_net_property(dim, mask):
    k = 8
    vals = sobol_values(1 << (k + 1), k, dim, mask=mask)
    assert vals.tolist() == ref.sobol_numbers(k, dim, mask, 1 << (k + 1))
    for block in (vals[: 1 << k], vals[1 << k :]):
        assert sorted(block.tolist()) == list(range(1 << k))  # balance
    # (0, m, 2)-net: every aligned block of 2**m indices puts one point in every elementary box
    x0 = sobol_values(1 << k, k, 0, mask=mask).astype(np.int64)
    x1 = sobol_values(1 << k, k, 1, mask=(mask * 3) % 256).astype(np.int64)
    for m in range(k + 1):
        for start in range(0, 1 << k, 1 << m):
            a, b = x0[start : start + (1 << m)], x1[start : start + (1 << m)]
            for d1 in range(m + 1):
                d2 = m - d1
                boxes = (a >> (k - d1)) * (1 << d2) + (b >> (k - d2))
                assert np.unique(boxes).size == 1 << m, (m, start, d1)


@pytest.mark.parametrize("rng_kind", ["lfsr", "sobol"])
@pytest.mark.parametrize("kind", ["fibonacci", "galois"])
def test_source_values_match_reference(rng_kind, kind):
    cfg = SCConfig(rng=rng_kind, seed=9, lfsr_kind=kind, lfsr_steps=5, prob_bits=6, lfsr_width=12)
    for layer in (0, 2):
        for role in (ROLE_INPUT, ROLE_WEIGHT):
            assert source_values(cfg, layer, role, 300).tolist() == ref.source(cfg, layer, role, 300)
    assert source_seed(cfg, 0, ROLE_INPUT) != source_seed(cfg, 0, ROLE_WEIGHT)
    with pytest.raises(ValueError, match="role"):
        source_values(cfg, 0, 2, 4)


def test_lfsr_states_are_read_only():
    """The states are cached and shared between callers: nobody may change them."""
    states = lfsr_states(1, 4, 4)
    with pytest.raises(ValueError, match="read-only"):
        states[0] = 2
