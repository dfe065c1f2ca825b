"""The number contract: formats saturate and never wrap, configs validate, seeds and scales."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sc_neurocore.sc.contract import (
    EXPIF_TABLE,
    Q8_8,
    UQ0_8,
    FixedPoint,
    SCConfig,
    count_real_scale,
    current_scale,
    derive_seed,
    expif_table_bounds,
    quantize_probability,
)

from . import sc_reference as ref


def test_q8_8_and_uq0_8_ranges():
    assert (Q8_8.width, Q8_8.min_int, Q8_8.max_int, Q8_8.one) == (16, -32768, 32767, 256)
    assert (UQ0_8.width, UQ0_8.min_int, UQ0_8.max_int) == (8, 0, 255)
    assert Q8_8.from_float(1.0) == 256 and Q8_8.from_float(-0.5) == -128
    assert Q8_8.from_float(0.5 / 256) == 1  # round half up
    assert Q8_8.from_float(-0.5 / 256) == 0
    assert Q8_8.to_float(384) == 1.5


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.floats(allow_nan=False, allow_infinity=True, width=64),
       st.integers(1, 12), st.integers(0, 12), st.booleans())
def test_from_float_saturates_never_wraps(x, ib, fb, signed):
    fmt = FixedPoint(ib, fb, signed)
    q = fmt.from_float(x)
    assert fmt.min_int <= q <= fmt.max_int
    y = x * 2.0**fb + 0.5
    if math.isfinite(y):
        assert q == min(max(math.floor(y), fmt.min_int), fmt.max_int)
    else:
        assert q == (fmt.max_int if x > 0 else fmt.min_int)


@given(st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=20))
def test_saturate_integers(values):
    got = Q8_8.saturate(np.array(values, dtype=np.int64))
    assert got.tolist() == [min(max(v, -32768), 32767) for v in values]
    assert Q8_8.saturate(values[0]) == min(max(values[0], -32768), 32767)


def test_fixed_point_errors():
    with pytest.raises(ValueError, match="NaN"):
        Q8_8.from_float(float("nan"))
    with pytest.raises(TypeError, match="integers"):
        Q8_8.saturate(np.array([1.5]))
    with pytest.raises(ValueError, match="width"):
        FixedPoint(40, 40)
    with pytest.raises(ValueError, match="sign bit"):
        FixedPoint(0, 8, True)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(length=0), ValueError, "length"),
        (dict(length=1.5), TypeError, "length"),
        (dict(prob_bits=0), ValueError, "prob_bits"),
        (dict(prob_bits=17), ValueError, "prob_bits"),
        (dict(rng="mt"), ValueError, "rng"),
        (dict(polarity="unipolar"), ValueError, "polarity"),
        (dict(lfsr_width=8, prob_bits=9), ValueError, "lfsr_width"),
        (dict(lfsr_steps=0), ValueError, "lfsr_steps"),
        (dict(lfsr_kind="xorshift"), ValueError, "lfsr_kind"),
        (dict(seed=-1), ValueError, "seed"),
        (dict(scale_bits=1), ValueError, "scale_bits"),
        (dict(membrane=UQ0_8), TypeError, "membrane"),
    ],
)
def test_scconfig_rejects_bad_values(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        SCConfig(**kwargs)


def test_scconfig_replace_validates():
    cfg = SCConfig()
    assert cfg.replace(length=64).length == 64 and cfg.prob_max == 255
    with pytest.raises(ValueError):
        cfg.replace(length=0)


def test_derive_seed_reference_and_properties():
    seen = set()
    for base in (0, 1, 42, 2**47):  # note: base and base + 2**48 collide (base << 16 is taken mod 2**64)
        for layer in range(3):
            for role in (0, 1):
                for bits, nz in ((16, True), (8, False), (64, True)):
                    s = derive_seed(base, layer, role, bits, nonzero=nz)
                    assert s == ref.derive_seed(base, layer, role, bits, nz)
                    assert 0 <= s < 2**bits and (s != 0 or not nz)
                seen.add(derive_seed(base, layer, role, 64))
    assert len(seen) == 4 * 3 * 2  # all distinct
    with pytest.raises(ValueError, match="role"):
        derive_seed(1, 0, 2, 16)


def test_quantize_probability():
    assert quantize_probability([0.0, 1.0, 0.5, 1 / 255 * 0.5], 8).tolist() == [0, 255, 128, 1]
    assert quantize_probability(0.5, 1) == 1
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        quantize_probability([1.01], 8)
    with pytest.raises(ValueError, match="NaN"):
        quantize_probability([np.nan], 8)
    # the message counts the bad values, names the first and gives the finite range
    with pytest.raises(ValueError, match=r"holds 2 NaN or inf \(the first at index \(1,\)\); its finite values lie in "
                                         r"\[0.25, 0.5\]"):
        quantize_probability([0.5, np.nan, 0.25, np.inf], 8)


@given(st.floats(1e-6, 1e6), st.integers(4, 32))
def test_current_scale_precision(real, bits):
    if real * 2 >= 2**bits - 0.5:
        return  # not representable with sh >= 1: see test_current_scale_unrepresentable
    m, sh = current_scale(real, bits)
    assert 1 <= m < 2**bits and 1 <= sh <= 62
    if m >= 2 ** (bits - 1):  # full precision used: relative error <= 2**-(bits-1)
        assert abs(m / 2**sh - real) <= real * 2.0 ** -(bits - 1)


def test_count_real_scale_values():
    cfg = SCConfig(length=16, prob_bits=8)
    assert count_real_scale(0.5, cfg, "prob") == pytest.approx(0.5 * 256 * (256 / 255) ** 2 / 16, rel=1e-15)
    assert count_real_scale(0.5, cfg, "spike") == pytest.approx(0.5 * 256 * (256 / 255) / 16, rel=1e-15)
    assert count_real_scale(0.5, cfg, "prob", stochastic=False) == pytest.approx(0.5 * 256 / 255**2, rel=1e-15)
    assert count_real_scale(0.5, cfg, "spike", stochastic=False) == pytest.approx(0.5 * 256 / 255, rel=1e-15)
    with pytest.raises(ValueError, match="input_kind"):
        count_real_scale(1.0, cfg, "pixels")


def test_current_scale_unrepresentable():
    with pytest.raises(ValueError):
        current_scale(9.0, 4)  # needs m / 2**sh = 9 with m < 16 and sh >= 1


def test_seed_range_excludes_colliding_seeds():
    # base seeds are shifted left by 16 bits inside a 64-bit hash input: 48 bits are all that is distinct
    SCConfig(seed=2**48 - 1)
    with pytest.raises(ValueError, match="seed"):
        SCConfig(seed=2**48)
    with pytest.raises(ValueError, match="base_seed"):
        derive_seed(2**48, 0, 0, 16)


def test_scalars_stay_python_numbers():
    """Scalar in, scalar out (int / float), never a 0-d array."""
    assert type(Q8_8.to_float(384)) is float and Q8_8.to_float(384) == 1.5
    assert type(quantize_probability(0.5, 8)) is int
    assert type(Q8_8.from_float(1.0)) is int
    assert FixedPoint() == Q8_8  # the defaults are the contract's membrane format


def test_quantize_probability_rejects_just_below_zero():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        quantize_probability([-0.1], 8)


@pytest.mark.parametrize("real, bits, want", [
    (0.0, 16, (0, 1)),              # no current per count
    (1.0, 16, (32768, 15)),         # 2**16 at sh = 16 is not below 2**16: one shift less
    (15 / 16, 3, (4, 2)),           # sh = 3: 7.5 rounds half up to 8 = 2**3, too big; sh = 2: 3.75 -> 4
    (2.0 ** -50, 16, (4096, 62)),   # the largest shift, 62
    (1e-30, 16, (1, 62)),           # rounds to 0 even at sh = 62: at least 1
])
def test_current_scale_by_hand(real, bits, want):
    assert current_scale(real, bits) == want


def _splitmix64(x):
    m = (1 << 64) - 1
    x = (x + 0x9E3779B97F4A7C15) & m
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & m
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & m
    return x ^ (x >> 31)


def test_an_lfsr_seed_that_hashes_to_zero_becomes_one():
    """A 4-bit LFSR seed whose hash is 0 mod 16 (found with a reference splitmix64) is replaced by 1."""
    from sc_neurocore.sc.sources import source_seed

    base = next(b for b in range(1000) if _splitmix64(b << 16) % 16 == 0)
    assert derive_seed(base, 0, 0, 4, nonzero=False) == 0
    assert derive_seed(base, 0, 0, 4) == 1
    assert source_seed(SCConfig(rng="lfsr", lfsr_width=4, prob_bits=4, seed=base), 0, 0) == 1
    assert source_seed(SCConfig(rng="sobol", prob_bits=4, seed=base), 0, 0) == 0  # a Sobol mask may be 0


def test_expif_table_bounds_at_the_top_and_just_past_it():
    """Q8.8, delta_t = 1.0 (256), v_rheobase = 0: (theta - v_rheobase) / delta_t = 16 is the table's top
    (hi_i = 16 * 2**4 = 256, lo_i = 256 - 10 * 16 = 96); one LSB more (4097: hi_i = ceil(4097 * 16 / 256) = 257)
    is beyond it."""
    assert EXPIF_TABLE["top"] == 16 and EXPIF_TABLE["step_bits"] == 4 and EXPIF_TABLE["span"] == 10
    assert expif_table_bounds(16 * 256, 0, 256) == (96, 256)
    with pytest.raises(ValueError, match="beyond 16"):
        expif_table_bounds(16 * 256 + 1, 0, 256)


def test_expif_table_bounds_refuse_a_threshold_below_one_lsb():
    """theta_q must be at least 1 (one LSB), even where the table would fit (v_rheobase = -1.0: hi_i = 16)."""
    assert expif_table_bounds(1, -256, 256) == (-143, 17)
    with pytest.raises(ValueError, match=r"theta_q must be an integer in \[1, 32767\], not 0"):
        expif_table_bounds(0, -256, 256)
