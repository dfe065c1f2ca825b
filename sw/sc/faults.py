"""Seeded fault injection for the SC model and the binary fixed-point rung: bit flips at a rate, by site.

One :class:`FaultModel` (site, per-bit rate, seed) is applied by :class:`~sc_neurocore.sc.network.SCNetwork`
and :class:`~sc_neurocore.sc.network.FixedPointNetwork` alike (``net.run_codes(..., faults=model)``), so that the
stochastic net and the binary net meet the same per-bit error rate on the bits each of them really holds:

``"bitstream"``
    SC: every product bit ``[r_in < x_i] & [r_w < |w_ij|]`` of every synapse, SC cycle and timestep flips with
    probability ``rate``; a flipped bit moves the synapse's popcount by one (``+1`` if the bit was 0), signed by
    the weight: ``C'[j] = C[j] + sum sign_ij * (1 - 2*bit)`` over the flipped bits.  Binary: every bit of every
    product word ``x_q * |w_ij|`` (``2k`` bits, sign kept) flips with probability ``rate`` at every timestep;
    a flipped bit ``b`` moves the product by ``-+2**b``.  (The same count of flips per bit; an SC flip is worth
    one count, a binary flip up to half the word's range.)
``"count"``
    Every bit of each neuron's count word (two's complement, the width the gateware gives it: SC
    ``(n_in * L).bit_length() + 1``, the engine's ``hw.sc_dot.count_width``; binary: the width of
    ``n_in * (2**k - 1)**2``) flips with probability ``rate``, every timestep.
``"membrane"``
    Every bit of each neuron's 16-bit membrane register flips with probability ``rate`` after every step (a
    single-event upset in the register between steps: the trace holds the step's result and its spike, the next
    step starts from the upset value).
``"weights"``
    Every bit of every stored weight word (``k`` magnitude bits and the sign) flips with probability ``rate``
    once: an upset that persists for the rest of the run (``persist="run"``, the weight memory is not reloaded),
    or one drawn afresh for each image (``persist="image"``).

Draws come from ``numpy.random.default_rng((seed, site, layer, timestep))`` over the whole batch run (a run of
the same images in the same batch is repeatable; a different batch split draws differently).  Flips are drawn
sparsely: the gaps between flipped bits are geometric, an exact Bernoulli process in O(flips), chunked so that a
rate of ``5e-2`` on a digits net stays in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

__all__ = ["SITES", "PERSISTS", "FaultModel", "binary_product_deltas", "bitstream_deltas", "corrupt_weights",
           "flip_bits"]

#: Where bits flip (see the module docstring).
SITES = ("bitstream", "count", "membrane", "weights")
#: How long a weight upset lasts.
PERSISTS = ("run", "image")
_SITE_ID = {s: i for i, s in enumerate(SITES)}
#: Most flipped bits drawn at once (bounds memory; draws are split into chunks beyond it).
_CHUNK = 1 << 22


@dataclass(frozen=True)
class FaultModel:
    """Bit flips at ``rate`` (per bit, per use) into ``site``, drawn from ``seed``.

    ``rate`` in [0, 1] (0: no fault, the clean run); ``persist`` only for ``site="weights"``."""

    site: str
    rate: float
    seed: int = 0
    persist: str = "run"

    def __post_init__(self):
        if self.site not in SITES:
            raise ValueError(f"site must be one of {SITES}, not {self.site!r}")
        r = self.rate
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not np.isfinite(r) or not 0.0 <= r <= 1.0:
            raise ValueError(f"rate must be a number in [0, 1], not {r!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, not {self.seed!r}")
        if self.persist not in PERSISTS:
            raise ValueError(f"persist must be one of {PERSISTS}, not {self.persist!r}")

    def rng(self, *key) -> np.random.Generator:
        """The generator of one draw: ``(seed, site, *key)``."""
        return np.random.default_rng((int(self.seed), _SITE_ID[self.site]) + tuple(int(k) for k in key))


def _sparse_positions(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """The positions in ``[0, n)`` of a Bernoulli(``rate``) process, ascending: the gaps between flips are
    geometric, so each position is chosen independently with probability ``rate`` in O(flips)."""
    if rate <= 0 or n <= 0:
        return np.zeros(0, dtype=np.int64)
    if rate >= 1:
        return np.arange(n, dtype=np.int64)
    out, start = [], 0
    while start < n:
        want = int(min((n - start) * rate * 1.1 + 64, _CHUNK))
        pos = start - 1 + np.cumsum(rng.geometric(rate, size=want).astype(np.int64))
        out.append(pos[pos < n])
        if pos[-1] >= n:
            break
        start = int(pos[-1]) + 1
    return np.concatenate(out)


def flip_bits(values, width: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    """``values`` (signed ints) as ``width``-bit two's complement words, each bit flipped with probability
    ``rate``, read back as signed ints."""
    v = np.asarray(values, dtype=np.int64)
    pos = _sparse_positions(rng, v.size * width, rate)
    if pos.size == 0:
        return v.copy()
    mask = np.zeros(v.size, dtype=np.int64)
    np.bitwise_xor.at(mask, pos // width, np.left_shift(np.int64(1), pos % width))
    word = (v.reshape(-1) & ((1 << width) - 1)) ^ mask
    signed = np.where(word >= (1 << (width - 1)), word - (1 << width), word)
    return signed.reshape(v.shape)


def corrupt_weights(qnet, model: FaultModel, draw: int = 0):
    """A copy of ``qnet`` whose stored weight words (``k`` magnitude bits + sign) have bits flipped at
    ``model.rate`` (draw ``draw``: 0 for ``persist="run"``, the image's number for ``"image"``)."""
    k = qnet.config.prob_bits
    layers = []
    for li, layer in enumerate(qnet.layers):
        wq = np.asarray(layer.weight_q, dtype=np.int64)
        word = np.abs(wq) | (np.where(wq < 0, 1, 0) << k)  # the memory's k+1 bits: magnitude, sign above
        pos = _sparse_positions(model.rng(li, draw), word.size * (k + 1), model.rate)
        flat = word.reshape(-1).copy()
        np.bitwise_xor.at(flat, pos // (k + 1), np.left_shift(np.int64(1), pos % (k + 1)))
        mag, neg = flat & ((1 << k) - 1), flat >> k
        layers.append(replace(layer, weight_q=np.where(neg == 1, -mag, mag).reshape(wq.shape)))
    return type(qnet)(tuple(layers), qnet.config)


def _product_bits(codes, mag, rin, rw, b, j, i, c, needs_input_source: bool, big_p: int) -> np.ndarray:
    x = codes[b, i]
    xbit = (rin[c] < x) if needs_input_source else (x >= big_p)
    return xbit & (rw[c] < mag[j, i])


def bitstream_deltas(rng: np.random.Generator, rate: float, codes, mag, sign, rin, rw, needs_input_source: bool,
                     big_p: int) -> np.ndarray:
    """Count changes ``(B, n_out)`` from product-bit flips of one SC layer at one timestep, each bit flipped with
    probability ``rate`` (drawn from ``rng``, sparse and chunked).

    ``codes`` ``(B, n_in)`` input-stream codes (``sc.counting.input_codes``: a spike is ``2**k``), ``mag`` and
    ``sign`` ``(n_out, n_in)``, ``rin``/``rw`` the timestep's ``L`` random numbers (``rin`` unused for spike
    inputs, whose bit is the spike in every cycle)."""
    codes = np.asarray(codes, dtype=np.int64)
    B, n_in = codes.shape
    n_out, L = mag.shape[0], len(rw)
    deltas = np.zeros(B * n_out, dtype=np.int64)
    pos = _sparse_positions(rng, B * n_out * n_in * L, rate)
    for s in range(0, pos.size, _CHUNK):
        b, j, i, c = np.unravel_index(pos[s:s + _CHUNK], (B, n_out, n_in, L))
        bit = _product_bits(codes, mag, rin, rw, b, j, i, c, needs_input_source, big_p)
        deltas += np.bincount(b * n_out + j, weights=sign[j, i] * (1 - 2 * bit.astype(np.int64)),
                              minlength=B * n_out).astype(np.int64)
    return deltas.reshape(B, n_out)


def binary_product_deltas(rng: np.random.Generator, rate: float, x, wq, width: int) -> np.ndarray:
    """Count changes ``(B, n_out)`` of the binary rung from bit flips in its product words ``x_i * |w_ij|``
    (``width`` bits each: ``2k`` for k-bit codes, ``k`` for spikes, which gate the weight word; the weight's sign
    applied after): a flipped bit ``b`` adds ``+-2**b``."""
    x = np.asarray(x, dtype=np.int64)
    B, n_in = x.shape
    n_out = wq.shape[0]
    deltas = np.zeros(B * n_out, dtype=np.int64)
    pos = _sparse_positions(rng, B * n_out * n_in * width, rate)
    for s in range(0, pos.size, _CHUNK):
        b, j, i, bitpos = np.unravel_index(pos[s:s + _CHUNK], (B, n_out, n_in, width))
        prod = x[b, i] * np.abs(wq[j, i])
        was = (prod >> bitpos) & 1
        change = np.left_shift(np.int64(1), bitpos) * (1 - 2 * was)
        deltas += np.bincount(b * n_out + j, weights=np.where(wq[j, i] < 0, -change, change),
                              minlength=B * n_out).astype(np.int64)
    return deltas.reshape(B, n_out)
