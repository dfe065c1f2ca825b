"""A layer's signed SC count for one or more timestep windows: bit-level reference and fast exact path.

A layer is reduced to :class:`LayerArith`: per synapse a weight-stream code ``mag`` in
``[0, 2**k - 1]`` and a sign (``+1``/``-1``), the multiply (``"and"`` or ``"xnor"``), the
count -> current constants and the LIF constants.  Its inputs are *input-stream codes* in
``[0, 2**k]``: a k-bit probability code, or ``2**k`` for a stream of ones (a spike), 0 for
a stream of zeros.  With a shared input source ``rin`` and a shared weight source ``rw``
per layer (``docs/interfaces.md``), the AND count of one window is

    ``C[b, j] = sum_i sign_ij * Tab[x_bi, mag_ij]``,  ``Tab[qx, qw] = sum_c [rin_c < qx][rw_c < qw]``

and the XNOR count is ``sum_i (L - 2*A[x_bi] - 2*W[mag_ij] + 4*Tab[x_bi, mag_ij])`` with
``A[q] = sum_c [rin_c < q]``, ``W[q] = sum_c [rw_c < q]``.  :func:`counts_fast` evaluates the
sum as a product of two exact integer matrices (``Phi @ Psi``) in floating point, where every
partial sum is an integer below ``2**24`` (float32) or ``2**53`` (float64), so the result is
exact; :func:`counts_packed` and :func:`counts_unpacked` build every bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .bitstream import (
    and_count_table,
    apc_count,
    apc_count_packed,
    pack_bits,
    packed_and,
    packed_xnor,
    sng_bits,
    stream_count_table,
)
from .contract import SCConfig, count_real_scale, current_scale

__all__ = [
    "LayerArith",
    "prepare_layer",
    "input_codes",
    "counts_fast",
    "counts_packed",
    "counts_unpacked",
    "spike_weight_counts",
    "counts_from_spikes",
]

#: Largest float matmul operand block, in elements (keeps memory bounded for long streams).
_BLOCK_ELEMS = 1 << 23


@dataclass(frozen=True, eq=False)
class LayerArith:
    """One layer in SC terms (see the module docstring).

    Attributes
    ----------
    op : ``"and"`` | ``"xnor"``
    mag : int64 (n_out, n_in), weight-stream codes in ``[0, 2**k - 1]``
    sign : int64 (n_out, n_in), ``+1``/``-1`` (all ``+1`` for XNOR and minmax)
    input_kind : ``"prob"`` | ``"spike"``
    mult, shift : count -> Q8.8 current multiplier and shift
    bias_q : int64 (n_out,), Q8.8
    beta_q, threshold_q : LIF constants
    """

    op: str
    mag: np.ndarray
    sign: np.ndarray
    input_kind: str
    mult: int
    shift: int
    bias_q: np.ndarray
    beta_q: int
    threshold_q: int

    @property
    def n_in(self) -> int:
        return int(self.mag.shape[1])

    @property
    def n_out(self) -> int:
        return int(self.mag.shape[0])

    @property
    def needs_input_source(self) -> bool:
        """Spike inputs of an AND layer are all-ones / all-zeros streams: no input source is read."""
        return self.op == "xnor" or self.input_kind == "prob"


def prepare_layer(layer, config: SCConfig, polarity: str | None = None) -> LayerArith:
    """Turn a :class:`~sc_neurocore.export.QuantizedLayer` into :class:`LayerArith` for a polarity.

    * ``signed``: ``mag = |weight_q|``, ``sign = sign(weight_q)``, AND, the export's
      ``scale_mult``/``scale_shift``.
    * ``bipolar``: ``mag = (weight_q + Q + 1) >> 1`` (``Q = 2**k - 1``; the code of ``(w/s + 1)/2``),
      XNOR, the same scaling (``E[2*xnor - 1] = (2*px - 1)(2*pw - 1) ~= (xq/2**k)(weight_q/2**k)``).
    * ``minmax``: the documented min-max of the layer's codes to ``[0, Q]``,
      ``mag = round(Q * (weight_q - min) / (max - min))``, AND, all signs ``+1``, scale
      ``s * (max - min) / Q`` through :func:`~sc_neurocore.sc.contract.count_real_scale`.
      It computes ``x . (W - min W)``: the weights lose their sign and their zero.
    """
    polarity = config.polarity if polarity is None else polarity
    wq = np.asarray(layer.weight_q, dtype=np.int64)
    q = config.prob_max
    ones = np.ones_like(wq)
    common = dict(
        input_kind=layer.input_kind,
        bias_q=np.asarray(layer.bias_q, dtype=np.int64),
        beta_q=int(layer.beta_q),
        threshold_q=int(layer.threshold_q),
    )
    if polarity == "signed":
        return LayerArith("and", np.abs(wq), np.where(wq < 0, -1, 1), mult=int(layer.scale_mult),
                          shift=int(layer.scale_shift), **common)
    if polarity == "bipolar":
        return LayerArith("xnor", (wq + q + 1) >> 1, ones, mult=int(layer.scale_mult),
                          shift=int(layer.scale_shift), **common)
    if polarity == "minmax":
        lo, hi = int(wq.min()), int(wq.max())
        span = hi - lo
        if span == 0:
            mag = np.zeros_like(wq)
        else:  # round half up, in integers
            mag = (2 * q * (wq - lo) + span) // (2 * span)
        s_mm = float(layer.weight_scale) * span / q
        m, sh = current_scale(count_real_scale(s_mm, config, layer.input_kind, stochastic=True), config.scale_bits)
        return LayerArith("and", mag, ones, mult=m, shift=sh, **common)
    raise ValueError(f"polarity must be 'signed', 'bipolar' or 'minmax', not {polarity!r}")


def input_codes(arith: LayerArith, values, prob_bits: int) -> np.ndarray:
    """Input-stream codes of a layer: k-bit probability codes (``prob``) or 0/1 spikes (``spike``).

    AND: ``prob`` codes pass unchanged, a spike is ``2**k`` (ones) and no spike 0 (zeros).
    XNOR: ``prob`` ``xq -> (xq + Q + 1) >> 1``; a spike ``2**k`` (bipolar +1), no spike
    ``2**(k-1)`` (bipolar 0).
    """
    v = np.asarray(values, dtype=np.int64)
    big_p = 1 << prob_bits
    if arith.input_kind == "spike":
        if arith.op == "and":
            return v * big_p
        return np.where(v != 0, big_p, big_p >> 1)
    if arith.op == "and":
        return v
    return (v + (big_p - 1) + 1) >> 1


def _check_windows(arith: LayerArith, codes, rin, rw):
    codes = np.asarray(codes, dtype=np.int64)
    if codes.ndim != 2 or codes.shape[1] != arith.n_in:
        raise ValueError(f"codes must be (batch, {arith.n_in}), got shape {codes.shape}")
    rw = np.atleast_2d(np.asarray(rw, dtype=np.int64))
    if rin is not None:
        rin = np.atleast_2d(np.asarray(rin, dtype=np.int64))
        if rin.shape != rw.shape:
            raise ValueError(f"input and weight windows differ: {rin.shape} vs {rw.shape}")
    return codes, rin, rw


def _ones_only(codes, big_p) -> bool:
    return bool(np.all((codes == 0) | (codes == big_p)))


def _reference_windows(arith: LayerArith, codes, rin, rw, prob_bits: int):
    """Checked windows for the bit-level references; a missing input source only for 0 / ``2**k`` codes."""
    codes, rin, rw = _check_windows(arith, codes, rin, rw)
    if rin is None:
        if not _ones_only(codes, 1 << prob_bits):
            raise ValueError("an input source is needed for codes other than 0 and 2**k")
        rin = np.zeros_like(rw)
    return codes, rin, rw


def counts_packed(codes, arith: LayerArith, rin, rw, prob_bits: int) -> np.ndarray:
    """Bit-level reference on packed streams: ``(n_windows, batch, n_out)`` int64.

    ``rin``/``rw`` are ``(n_windows, L)`` random numbers (one window = one timestep).  ``rin``
    may be ``None`` when every code is 0 or ``2**k`` (spikes into an AND layer).
    """
    codes, rin, rw = _reference_windows(arith, codes, rin, rw, prob_bits)
    n_win, length = rw.shape
    out = np.empty((n_win, codes.shape[0], arith.n_out), dtype=np.int64)
    for t in range(n_win):
        xb = pack_bits(sng_bits(codes, rin[t]))  # (B, n_in, W)
        wb = pack_bits(sng_bits(arith.mag, rw[t]))  # (n_out, n_in, W)
        for b in range(codes.shape[0]):
            if arith.op == "and":
                prod = packed_and(xb[b][None], wb)
                out[t, b] = apc_count_packed(prod, length, arith.sign)
            else:
                prod = packed_xnor(xb[b][None], wb, length)
                out[t, b] = apc_count_packed(prod, length, arith.sign, bipolar=True)
    return out


def counts_unpacked(codes, arith: LayerArith, rin, rw, prob_bits: int) -> np.ndarray:
    """Bit-level reference, unpacked, the APC accumulating cycle by cycle (same result as packed)."""
    codes, rin, rw = _reference_windows(arith, codes, rin, rw, prob_bits)
    n_win = rw.shape[0]
    out = np.empty((n_win, codes.shape[0], arith.n_out), dtype=np.int64)
    for t in range(n_win):
        xb = sng_bits(codes, rin[t])  # (B, n_in, L)
        wb = sng_bits(arith.mag, rw[t])  # (n_out, n_in, L)
        if arith.op == "and":
            prod = xb[:, None] & wb[None]
        else:
            prod = (1 - (xb[:, None] ^ wb[None])).astype(np.uint8)
        out[t] = apc_count(prod, arith.sign[None], bipolar=arith.op == "xnor")
    return out


def _exact_matmul(phi: np.ndarray, psi: np.ndarray, bound: int) -> np.ndarray:
    """``phi @ psi`` for integer-valued matrices whose partial sums stay below ``bound`` in magnitude."""
    dtype = np.float32 if bound < (1 << 24) else np.float64
    if bound >= (1 << 53):
        raise OverflowError(f"count bound {bound} exceeds exact float64 range")
    res = np.asarray(phi, dtype=dtype) @ np.asarray(psi, dtype=dtype)
    return np.rint(res).astype(np.int64)


def _and_sum(codes, mag, sign, rin, rw, big_p) -> np.ndarray:
    """``S[t, b, j] = sum_i sign_ij * Tab_t[codes_bi, mag_ij]`` for all windows ``t``."""
    n_win, length = rw.shape
    batch, n_in = codes.shape
    n_out = mag.shape[0]
    bound = n_in * length + 1
    present = np.unique(codes[codes > 0])
    if present.size == 0:
        return np.zeros((n_win, batch, n_out), dtype=np.int64)
    mag_t, sign_t = mag.T, sign.T  # (n_in, n_out)
    if rin is None or present.size <= min(length, big_p):
        # code basis over the (code u, input i) pairs that occur in the batch:
        # Phi[b, p] = [codes_b,i_p == u_p]; Psi_t[p, j] = sign_i_p,j * Tab_t[u_p, mag_i_p,j].
        # Phi does not depend on the window, so all windows share one matmul.
        nz_b, nz_i = np.nonzero(codes)
        pair_keys = np.unique(codes[nz_b, nz_i] * n_in + nz_i)
        pu, pi = pair_keys // n_in, pair_keys % n_in
        col = np.full((big_p + 1) * n_in, -1, dtype=np.int64)
        col[pair_keys] = np.arange(pair_keys.size)
        phi = np.zeros((batch, pair_keys.size), dtype=np.float32)
        phi[nz_b, col[codes[nz_b, nz_i] * n_in + nz_i]] = 1.0
        u_index = np.searchsorted(present, pu)
        mag_p, sign_p = mag_t[pi], sign_t[pi]  # (n_pairs, n_out)
        out = np.empty((n_win, batch, n_out), dtype=np.int64)
        per_win = pair_keys.size * n_out
        step = max(1, _BLOCK_ELEMS // max(per_win, 1))
        for t0 in range(0, n_win, step):
            t1 = min(n_win, t0 + step)
            psi = np.empty((pair_keys.size, t1 - t0, n_out), dtype=np.int64)
            for t in range(t0, t1):
                if rin is not None and present.size > 8 and big_p <= 1024:
                    rows = and_count_table(rin[t], rw[t], big_p)[present]  # the whole table, then its rows
                else:
                    rows = np.empty((present.size, big_p + 1), dtype=np.int64)
                    for ui, u in enumerate(present):
                        # the all-ones stream (u = 2**k): Tab[2**k, q] = W[q]
                        sel = rw[t] if u >= big_p else rw[t][rin[t] < u]
                        rows[ui] = stream_count_table(sel, big_p)
                psi[:, t - t0, :] = sign_p * rows[u_index[:, None], mag_p]
            res = _exact_matmul(phi, psi.reshape(pair_keys.size, (t1 - t0) * n_out), bound)
            out[t0:t1] = res.reshape(batch, t1 - t0, n_out).transpose(1, 0, 2)
        return out
    # cycle basis: Phi_t[b, (c, i)] = [rin_c < codes_bi]; Psi_t[(c, i), j] = sign_ij * [rw_c < mag_ij],
    # cycles with equal rin merged (their Phi columns are equal), in blocks of cycles.
    out = np.zeros((n_win, batch, n_out), dtype=np.int64)
    for t in range(n_win):
        r_vals, inverse = np.unique(rin[t], return_inverse=True)
        block = max(1, _BLOCK_ELEMS // max(n_in * max(n_out, batch), 1))
        for r0 in range(0, r_vals.size, block):
            r1 = min(r_vals.size, r0 + block)
            psi = np.empty((r1 - r0, n_in, n_out), dtype=np.int64)
            for ri in range(r0, r1):
                cnt = stream_count_table(rw[t][inverse == ri], big_p)
                psi[ri - r0] = sign_t * cnt[mag_t]
            phi = (r_vals[r0:r1, None][None] < codes[:, None, :]).reshape(batch, (r1 - r0) * n_in)
            out[t] += _exact_matmul(phi, psi.reshape((r1 - r0) * n_in, n_out), bound)
    return out


def counts_fast(codes, arith: LayerArith, rin, rw, prob_bits: int) -> np.ndarray:
    """The exact count of every window from tables and matmuls: ``(n_windows, batch, n_out)`` int64.

    Same arguments and the same integers as :func:`counts_packed`; ``codes`` stay the same over
    the windows (layer 0's pixels; a spike layer calls it once per timestep).
    """
    codes, rin, rw = _check_windows(arith, codes, rin, rw)
    big_p = 1 << prob_bits
    if codes.size and (codes.min() < 0 or codes.max() > big_p):
        raise ValueError(f"input-stream codes must be in [0, {big_p}]")
    if rin is None and not _ones_only(codes, big_p):
        raise ValueError("an input source is needed for codes other than 0 and 2**k")
    if arith.op == "and":
        return _and_sum(codes, arith.mag, arith.sign, rin, rw, big_p)
    ones = np.ones_like(arith.mag)
    tab_sum = _and_sum(codes, arith.mag, ones, rin, rw, big_p)
    n_win, length = rw.shape
    out = np.empty_like(tab_sum)
    for t in range(n_win):
        a_cnt = stream_count_table(rin[t], big_p)[codes].sum(axis=1)  # (B,)
        w_cnt = stream_count_table(rw[t], big_p)[arith.mag].sum(axis=1)  # (n_out,)
        out[t] = arith.n_in * length - 2 * a_cnt[:, None] - 2 * w_cnt[None, :] + 4 * tab_sum[t]
    return out


def spike_weight_counts(arith: LayerArith, rw, prob_bits: int) -> np.ndarray:
    """``M[t, i, j] = sign_ij * sum_c [rw_c < mag_ij]`` over each window: an AND layer's count per
    input spike (``(n_windows, n_in, n_out)`` int64)."""
    rw = np.atleast_2d(np.asarray(rw, dtype=np.int64))
    big_p = 1 << prob_bits
    out = np.empty((rw.shape[0], arith.n_in, arith.n_out), dtype=np.int64)
    mag_t, sign_t = arith.mag.T, arith.sign.T
    for t in range(rw.shape[0]):
        out[t] = sign_t * stream_count_table(rw[t], big_p)[mag_t]
    return out


def counts_from_spikes(spikes, weight_counts_t) -> np.ndarray:
    """``C = spikes @ M_t`` exactly (``spikes`` 0/1 ``(B, n_in)``, ``M_t`` from :func:`spike_weight_counts`)."""
    m = np.asarray(weight_counts_t)
    bound = int(np.abs(m).sum(axis=0).max(initial=0)) + 1
    return _exact_matmul(spikes, m, bound)
