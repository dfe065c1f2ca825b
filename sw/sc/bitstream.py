"""Bit-level stochastic arithmetic: SNG, packed bitstreams, AND/XNOR, popcount, the APC.

This module is the *reference* of the SC dot product: it builds the actual bits, packs them
64 per ``uint64`` word (bit ``c`` of a stream lives in word ``c // 64`` at bit ``c % 64``,
unused high bits of the last word are 0) and counts them.  :mod:`sc_neurocore.sc.counting`
computes the same integers faster from tables; the tests check that packed, unpacked and
table paths give identical counts.

Conventions (``docs/sc-arithmetic.md``):

* stochastic number generator: ``bit_c = r_c < q`` with ``r_c`` the k-bit random number of SC
  cycle ``c`` and ``q`` the code (``q = 2**k`` makes a stream of ones, used for spikes);
* signed-unipolar multiply: ``AND``; bipolar multiply: ``XNOR``;
* accumulative parallel counter (APC): each cycle adds the signed sum of all product bits
  (``+1`` / ``-1`` per lane) to an exact binary accumulator; over ``L`` cycles it holds
  ``C = sum_i sign_i * popcount(product_i)``.  For XNOR (bipolar) a lane adds ``+1`` for a
  1-bit and ``-1`` for a 0-bit.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "WORD_BITS",
    "sng_bits",
    "pack_bits",
    "unpack_bits",
    "valid_mask",
    "packed_and",
    "packed_xnor",
    "popcount",
    "apc_count",
    "apc_count_packed",
    "joint_histogram",
    "and_count_table",
    "stream_count_table",
]

WORD_BITS = 64


def _int_codes(name: str, codes) -> np.ndarray:
    arr = np.asarray(codes)
    if arr.dtype.kind not in "iub":
        raise TypeError(f"{name} must be integer codes, not dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must be >= 0, got {int(arr.min())}")
    return arr


def _randoms(r) -> np.ndarray:
    arr = np.asarray(r)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise TypeError(f"random numbers must be a 1-D integer array, not {arr.dtype} with shape {arr.shape}")
    return arr.astype(np.int64)


def sng_bits(codes, randoms) -> np.ndarray:
    """Stochastic number generator: ``bits[..., c] = randoms[c] < codes[...]`` (uint8 0/1).

    ``codes`` has any shape; the result has that shape plus one axis of ``len(randoms)`` cycles.
    """
    q = _int_codes("codes", codes)
    r = _randoms(randoms)
    return (r < q[..., None]).astype(np.uint8)


def pack_bits(bits) -> np.ndarray:
    """Pack 0/1 along the last axis into ``uint64`` words (cycle ``c`` -> word ``c//64``, bit ``c%64``)."""
    b = np.asarray(bits)
    if b.dtype.kind not in "iub":
        raise TypeError(f"bits must be integers 0/1, not dtype {b.dtype}")
    if b.size and (b.min() < 0 or b.max() > 1):
        raise ValueError("bits must be 0 or 1")
    n = b.shape[-1]
    words = -(-n // WORD_BITS)
    padded = np.zeros(b.shape[:-1] + (words * WORD_BITS,), dtype=np.uint8)
    padded[..., :n] = b
    # little bit order within each byte, little-endian bytes within the word: bit c -> word c//64, bit c%64
    packed_bytes = np.packbits(padded, axis=-1, bitorder="little")
    return np.ascontiguousarray(packed_bytes).view("<u8").reshape(b.shape[:-1] + (words,)).astype(np.uint64)


def unpack_bits(words, n: int) -> np.ndarray:
    """Inverse of :func:`pack_bits`: the first ``n`` bits of each stream (uint8)."""
    w = np.ascontiguousarray(np.asarray(words, dtype=np.uint64)).astype("<u8")
    if n < 0 or n > w.shape[-1] * WORD_BITS:
        raise ValueError(f"n must be in [0, {w.shape[-1] * WORD_BITS}], not {n!r}")
    as_bytes = w.view(np.uint8).reshape(w.shape[:-1] + (w.shape[-1] * 8,))
    return np.unpackbits(as_bytes, axis=-1, bitorder="little")[..., :n]


def valid_mask(n: int) -> np.ndarray:
    """Words with the first ``n`` bits set: the valid cycles of a packed stream of length ``n``."""
    return pack_bits(np.ones(n, dtype=np.uint8))


def packed_and(a, b) -> np.ndarray:
    """Unipolar multiply of packed streams."""
    return np.bitwise_and(np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64))


def packed_xnor(a, b, n: int) -> np.ndarray:
    """Bipolar multiply of packed streams of length ``n`` (padding bits stay 0)."""
    x = np.bitwise_not(np.bitwise_xor(np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64)))
    return x & valid_mask(n)


def popcount(words) -> np.ndarray:
    """Number of 1 bits over the last axis (int64)."""
    w = np.asarray(words, dtype=np.uint64)
    return np.bitwise_count(w).sum(axis=-1, dtype=np.int64)


def apc_count(product_bits, signs=None, *, bipolar: bool = False) -> np.ndarray:
    """Accumulative parallel counter, cycle by cycle, on unpacked bits.

    ``product_bits`` is ``(..., n_lanes, L)`` 0/1; ``signs`` ``(..., n_lanes)`` of +-1 (default +1).
    Each cycle adds ``sum_lanes sign * bit`` (``bipolar``: ``sign * (2*bit - 1)``) to the
    accumulator; returns the accumulator after ``L`` cycles (int64, shape ``(...)``).
    """
    bits = np.asarray(product_bits).astype(np.int64)
    lane_values = 2 * bits - 1 if bipolar else bits
    if signs is not None:
        lane_values = lane_values * np.asarray(signs, dtype=np.int64)[..., None]
    acc = np.zeros(bits.shape[:-2], dtype=np.int64)
    for c in range(bits.shape[-1]):
        acc = acc + lane_values[..., :, c].sum(axis=-1)
    return acc


def apc_count_packed(product_words, n: int, signs=None, *, bipolar: bool = False) -> np.ndarray:
    """The same count from packed product streams: ``sum_lanes sign * popcount`` (bipolar: ``2*pc - n``)."""
    pc = popcount(product_words)
    lane_values = 2 * pc - n if bipolar else pc
    if signs is not None:
        lane_values = lane_values * np.asarray(signs, dtype=np.int64)
    return lane_values.sum(axis=-1)


def joint_histogram(r_in, r_w, n_codes: int) -> np.ndarray:
    """``E[a, b]`` = number of cycles with ``r_in = a`` and ``r_w = b`` (``n_codes x n_codes``, int64)."""
    a, b = _randoms(r_in), _randoms(r_w)
    if a.shape != b.shape:
        raise ValueError(f"input and weight windows differ in length: {a.shape} vs {b.shape}")
    if a.size and (max(a.max(), b.max()) >= n_codes):
        raise ValueError(f"random numbers must be < {n_codes}")
    return np.bincount(a * n_codes + b, minlength=n_codes * n_codes).reshape(n_codes, n_codes)


def and_count_table(r_in, r_w, n_codes: int) -> np.ndarray:
    """``Tab[qx, qw] = sum_c [r_in_c < qx] * [r_w_c < qw]`` for ``qx, qw`` in ``0 .. n_codes``.

    ``n_codes = 2**k``; the table is ``(2**k + 1)`` square (code ``2**k`` is the all-ones stream).
    Built as the 2-D cumulative sum of :func:`joint_histogram`.
    """
    e = joint_histogram(r_in, r_w, n_codes)
    tab = np.zeros((n_codes + 1, n_codes + 1), dtype=np.int64)
    tab[1:, 1:] = e.cumsum(axis=0).cumsum(axis=1)
    return tab


def stream_count_table(r, n_codes: int) -> np.ndarray:
    """``Cnt[q] = sum_c [r_c < q]`` for ``q`` in ``0 .. n_codes`` (int64)."""
    a = _randoms(r)
    if a.size and a.max() >= n_codes:
        raise ValueError(f"random numbers must be < {n_codes}")
    out = np.zeros(n_codes + 1, dtype=np.int64)
    out[1:] = np.bincount(a, minlength=n_codes).cumsum()
    return out
