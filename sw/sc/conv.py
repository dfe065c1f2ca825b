"""Convolutional layers in SC terms: geometry, patches, OR pooling and the exact count per position.

A conv layer of the export (:class:`~sc_neurocore.export.QuantizedLayer` with a :class:`ConvGeometry`)
holds ``out_c`` kernels of ``C*k*k`` taps as its ``weight_q`` rows (tap order ``(c, dy, dx)``, torch's
``Conv2d.weight.reshape(out_c, -1)``).  Its neurons are the ``out_c * H' * W'`` output positions
(``H' = H + 2*padding - k + 1``, stride 1), in torch's flattened ``(c, y, x)`` order; its output to the next
layer is their spikes OR-pooled over ``pool x pool`` windows (max pooling of 0/1 spikes; a remainder row or
column that fills no window is dropped, as ``MaxPool2d`` does), ``out_c * (H'//pool) * (W'//pool)`` values.

**Sources.**  A conv layer has one input source and one weight source, like a dense layer
(``docs/sc-arithmetic.md`` §13): at timestep ``t`` every tap of every kernel at every output position reads
the same ``L`` random numbers.  So a position's count is the dense count of its patch against the kernel
matrix, and the table/matmul shortcuts of :mod:`.counting` hold: :func:`patches` turns a layer's input into
``(B * H' * W', C*k*k)`` rows and the dense count of those rows is the conv count.  Padding reads code 0
(a stream of zeros), the same as a pixel of 0.
"""

from __future__ import annotations

import numpy as np

from .bitstream import and_count_table, stream_count_table
from .geometry import ConvGeometry

__all__ = ["ConvGeometry", "patches", "or_pool", "to_positions", "conv_counts_gather"]

#: Largest gather block, in elements (rows * taps * out_c), to bound memory.
_BLOCK_ELEMS = 1 << 22


def patches(values, geom: ConvGeometry) -> np.ndarray:
    """``(B, C*H*W)`` inputs -> ``(B * H' * W', C*k*k)`` rows: each output position's receptive field, zero
    padded, positions in ``(y, x)`` order within an image, taps in ``(c, dy, dx)`` order (``torch.nn.Unfold``'s
    columns, transposed)."""
    v = np.asarray(values)
    batch = v.shape[0]
    img = v.reshape(batch, *geom.in_shape)
    p = geom.padding
    if p:
        img = np.pad(img, ((0, 0), (0, 0), (p, p), (p, p)))
    win = np.lib.stride_tricks.sliding_window_view(img, (geom.kernel, geom.kernel), axis=(2, 3))
    # win: (B, C, H', W', k, k) -> (B, H', W', C, k, k)
    return np.ascontiguousarray(win.transpose(0, 2, 3, 1, 4, 5)).reshape(batch * geom.positions, geom.taps)


def to_positions(rows_out, batch: int, geom: ConvGeometry) -> np.ndarray:
    """``(..., B * H' * W', out_c)`` per-position values -> ``(..., B, out_c * H' * W')`` in ``(c, y, x)`` order."""
    r = np.asarray(rows_out)
    lead = r.shape[:-2]
    out_c = r.shape[-1]
    r = r.reshape(*lead, batch, geom.positions, out_c)
    return np.ascontiguousarray(np.swapaxes(r, -1, -2)).reshape(*lead, batch, out_c * geom.positions)


def or_pool(spikes, out_channels: int, geom: ConvGeometry) -> np.ndarray:
    """``(B, out_c * H' * W')`` 0/1 spikes -> ``(B, out_c * (H'//pool) * (W'//pool))``: the OR (max) of each
    ``pool x pool`` window, remainder rows and columns dropped (``torch.nn.MaxPool2d(pool)`` on spikes)."""
    s = np.asarray(spikes)
    batch, q = s.shape[0], geom.pool
    ph, pw = geom.pooled_height, geom.pooled_width
    img = s.reshape(batch, out_channels, geom.out_height, geom.out_width)[:, :, : ph * q, : pw * q]
    return img.reshape(batch, out_channels, ph, q, pw, q).max(axis=(3, 5)).reshape(batch, -1)


def conv_counts_gather(codes, op: str, mag, sign, rin, rw, prob_bits: int) -> np.ndarray:
    """The exact count of every window for patch rows of input-stream codes: ``(n_windows, N, out_c)`` int64.

    The same integers as :func:`~sc_neurocore.sc.counting.counts_fast` on the same rows (a synapse's count
    depends only on its input code ``u`` and weight code: ``G_t[u, tap, o]``, summed over the taps); faster for
    many rows of few taps (a first conv layer's ``B * H' * W'`` patches), where the code basis of the dense
    path would need a ``rows x (codes * taps)`` matrix.  ``op``: ``"and"`` (``G = sign * Tab_t[u, mag]``) or
    ``"xnor"`` (``G = L - 2*A_t[u] - 2*W_t[mag] + 4*Tab_t[u, mag]``).  ``rin`` may be ``None`` only for an
    AND layer whose codes are 0 or ``2**k``.
    """
    codes = np.asarray(codes, dtype=np.int64)
    mag, sign = np.asarray(mag, dtype=np.int64), np.asarray(sign, dtype=np.int64)
    rw = np.atleast_2d(np.asarray(rw, dtype=np.int64))
    n_win, length = rw.shape
    big_p = 1 << prob_bits
    n_rows, taps = codes.shape
    out_c = mag.shape[0]
    if mag.shape[1] != taps:
        raise ValueError(f"codes have {taps} taps, the kernels {mag.shape[1]}")
    tap_idx = np.arange(taps)
    out = np.empty((n_win, n_rows, out_c), dtype=np.int64)
    block = max(1, _BLOCK_ELEMS // max(taps * out_c, 1))
    for t in range(n_win):
        if rin is None:
            tab = np.zeros((big_p + 1, big_p + 1), dtype=np.int64)
            tab[big_p] = stream_count_table(rw[t], big_p)
        else:
            tab = and_count_table(rin[t], rw[t], big_p)
        g = tab[:, mag.T]  # (P+1, taps, out_c)
        if op == "and":
            g = g * sign.T[None]
        else:
            a_cnt = stream_count_table(rin[t], big_p)
            w_cnt = stream_count_table(rw[t], big_p)[mag.T]
            g = length - 2 * a_cnt[:, None, None] - 2 * w_cnt[None] + 4 * g
        g = g.reshape((big_p + 1) * taps, out_c)
        for r0 in range(0, n_rows, block):
            idx = codes[r0 : r0 + block] * taps + tap_idx  # (rows, taps) rows of g
            out[t, r0 : r0 + block] = g[idx].sum(axis=1)
    return out
