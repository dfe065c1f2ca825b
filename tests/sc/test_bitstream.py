"""Bit-level arithmetic: packing, SNG statistics, popcount, the APC and the count tables."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sc_neurocore.sc.bitstream import (
    and_count_table,
    apc_count,
    apc_count_packed,
    pack_bits,
    packed_and,
    packed_xnor,
    popcount,
    sng_bits,
    stream_count_table,
    unpack_bits,
)
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.sc.sources import source_values


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=1, max_size=300))
def test_pack_unpack_round_trip_and_bit_order(bits):
    words = pack_bits(np.array(bits, dtype=np.uint8))
    assert words.dtype == np.uint64 and words.shape == (math.ceil(len(bits) / 64),)
    expected = [0] * len(words)
    for c, b in enumerate(bits):
        expected[c // 64] |= b << (c % 64)
    assert [int(w) for w in words] == expected
    assert unpack_bits(words, len(bits)).tolist() == bits
    assert int(popcount(words)) == sum(bits)


def test_sng_is_comparator():
    r = np.array([0, 5, 3, 255, 7], dtype=np.uint64)
    assert sng_bits([0, 4, 6, 256], r).tolist() == [
        [0, 0, 0, 0, 0],
        [1, 0, 1, 0, 0],
        [1, 1, 1, 0, 0],
        [1, 1, 1, 1, 1],
    ]
    with pytest.raises(ValueError, match=">= 0"):
        sng_bits([-1], r)
    with pytest.raises(TypeError, match="integer"):
        sng_bits([0.5], r)


@pytest.mark.parametrize("rng_kind", ["lfsr", "sobol"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stream_mean_within_bound(rng_kind, seed):
    """Mean of an SNG stream of L = 4096 cycles vs q/256, k = 8.

    LFSR (16-bit, one shift per cycle): bound 0.04 (Hoeffding at delta = 1e-6 is 0.042 for
    independent bits; the maximal-length sequence is better than independent).  Sobol: each
    aligned block of 256 cycles holds every 8-bit value once, so the mean is exactly q/256.
    """
    cfg = SCConfig(length=4096, rng=rng_kind, seed=seed)
    L = 4096
    for role in (0, 1):
        r = source_values(cfg, 0, role, L)
        for q in (0, 1, 17, 64, 128, 200, 255):
            mean = sng_bits([q], r)[0].mean()
            if rng_kind == "sobol":
                assert mean == q / 256
            else:
                assert abs(mean - q / 256) <= 0.04


@settings(max_examples=40, deadline=None)
@given(
    n_lanes=st.integers(1, 6),
    length=st.integers(1, 150),
    seed=st.integers(0, 2**31),
    bipolar=st.booleans(),
)
def test_apc_packed_unpacked_and_python_agree(n_lanes, length, seed, bipolar):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, size=(n_lanes, length)).astype(np.uint8)
    b = rng.integers(0, 2, size=(n_lanes, length)).astype(np.uint8)
    signs = rng.choice([-1, 1], size=n_lanes)
    if bipolar:
        prod = (a == b).astype(np.uint8)
        packed = packed_xnor(pack_bits(a), pack_bits(b), length)
    else:
        prod = a & b
        packed = packed_and(pack_bits(a), pack_bits(b))
    # plain Python, cycle by cycle
    acc = 0
    for c in range(length):
        for i in range(n_lanes):
            bit = int(prod[i, c])
            acc += int(signs[i]) * ((2 * bit - 1) if bipolar else bit)
    assert int(apc_count(prod, signs, bipolar=bipolar)) == acc
    assert int(apc_count_packed(packed, length, signs, bipolar=bipolar)) == acc
    np.testing.assert_array_equal(unpack_bits(packed, length), prod)


@settings(max_examples=30, deadline=None)
@given(k=st.integers(1, 5), length=st.integers(1, 60), seed=st.integers(0, 2**31))
def test_count_tables_brute_force(k, length, seed):
    rng = np.random.default_rng(seed)
    big_p = 1 << k
    rin = rng.integers(0, big_p, size=length).astype(np.uint64)
    rw = rng.integers(0, big_p, size=length).astype(np.uint64)
    tab = and_count_table(rin, rw, big_p)
    cnt = stream_count_table(rw, big_p)
    for qx in range(big_p + 1):
        for qw in range(big_p + 1):
            assert tab[qx, qw] == sum(1 for c in range(length) if rin[c] < qx and rw[c] < qw)
    for qw in range(big_p + 1):
        assert cnt[qw] == sum(1 for c in range(length) if rw[c] < qw)
    np.testing.assert_array_equal(tab[big_p], cnt)  # code 2**k is the all-ones stream


@pytest.mark.parametrize("n, words", [(64, 1), (128, 2), (130, 3)])
def test_words_are_64_bits(n, words):
    """n cycles fill ceil(n / 64) words; cycle 64 is bit 0 of word 1, cycle 127 bit 63 of word 1."""
    bits = np.zeros(n, dtype=np.uint8)
    bits[[c for c in (0, 63, 64, 127, 129) if c < n]] = 1
    packed = pack_bits(bits)
    want = [0] * words
    for c in np.flatnonzero(bits).tolist():
        want[c // 64] |= 1 << (c % 64)
    assert [int(w) for w in packed] == want
    assert unpack_bits(packed, n).tolist() == bits.tolist()
