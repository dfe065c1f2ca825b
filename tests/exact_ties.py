"""A hand-built net whose currents and membranes land exactly on the contract's edges, with its integers by hand.

Shared by ``tests/sc/test_ties.py`` (the NumPy model), ``tests/hw/test_ties.py`` (the engine in
Amaranth's simulator) and ``tests/sim/test_ties.py`` (the co-simulation).  Every expected integer
below is derived in the comments from the contract's rules (``docs/sc-arithmetic.md``), not computed
by the code under test:

* ``k = 3``, ``L = 8`` Sobol: each timestep's window is one whole period of both sources, and the
  two dimensions form a (0, 3, 2)-net (section 3), whatever the masks.  So for codes ``x = 2**a``,
  ``w = 2**b`` with ``a + b >= 3`` the AND count is ``Tab[x, w] = 2**(a + b - 3)`` (the box
  ``[0, x) x [0, w)`` is a union of elementary intervals of one point each), and a spike input
  gives ``W[q] = q`` (each 3-bit value once per window).  Every timestep has the same counts.
* layer 0: ``beta = 0``, ``theta = 256``, ``I = ((3 C + 1) >> 1) + b`` (round half up, section 7):
  ``C = 2 -> 3``, ``C = 1 -> 2`` (1.5 up), ``C = -1 -> -1`` (-1.5 up), ``C = -2 -> -3``;
* layer 1: ``beta = 128`` (0.5), ``theta = 256``, ``I = ((16 C + 1) >> 1) + b = 8 C + b``.

Images: ``A = (4, 2)``, ``B = (0, 0)``; ``T = 4``.
"""

from __future__ import annotations

import numpy as np
from sc_neurocore.export import QuantizedLayer, QuantizedNet
from sc_neurocore.sc.contract import SCConfig

T = 4
CONFIG = SCConfig(prob_bits=3, length=8, rng="sobol", seed=7)
IMAGES = np.array([[4, 2], [0, 0]], dtype=np.int64)
THETA = 256

# layer 0: 2 inputs -> 6 neurons; the weight codes and what image A gives (B: every C = 0, I = b)
#   n0  w=( 4, 0)  C = Tab[4,4] = 2   I = 3 + 253   = 256 = theta: no spike (strict >), v = 256
#   n1  w=( 2, 0)  C = Tab[4,2] = 1   I = 2 + 254   = 256 = theta (1.5 rounds up to 2): no spike
#   n2  w=(-2, 0)  C = -1             I = -1 + 258  = 257: spike, v = 257 - 256 = 1 (subtract reset)
#   n3  w=( 4, 0)  C = 2              I = sat(3 + 32767) = 32767: spike, v = 32767 - 256 = 32511
#   n4  w=(-4, 0)  C = -2             I = sat(-3 - 32768) = -32768: no spike, v = -32768
#   n5  w=( 0, 4)  C = Tab[2,4] = 1   I = 2 + 255   = 257: spike, v = 1
W0 = [[4, 0], [2, 0], [-2, 0], [4, 0], [-4, 0], [0, 4]]
B0 = [253, 254, 258, 32767, -32768, 255]
# image B (C = 0): I = b: n0 253, n1 254 (no spike); n2 258 (spike, v = 2); n3 32767 (spike, v = 32511);
#   n4 -32768; n5 255 (no spike).  So layer 0 spikes at every timestep: A {n2, n3, n5}, B {n2, n3}.
# The exact fixed-point rung: C_fxp = sum wq * xq = 8 * C here (Tab[x, w] = x w / 8 for these codes),
# so fxp_mult = 3, fxp_shift = 4 gives the same currents: (24 C + 8) >> 4 = (3 C + 1) >> 1.

# layer 1: 6 spike inputs -> 3 outputs (weights on silent inputs n0, n1, n4 never count)
#   o0  n0:+7, n5:+4        A: C = 4 -> I = 32 + 171 = 203    B: C = 0 -> I = 171
#   o1  n2:-3, n3:+5, n4:-7 A, B: C = 2 -> I = 16 + 184 = 200
#   o2  n2:+2, n3:+3, n5:-5 A: C = 0 -> I = 171               B: C = 5 -> I = 40 + 171 = 211
W1 = [[7, 0, 0, 0, 0, 4], [0, 0, -3, 5, -7, 0], [0, 0, 2, 3, 0, -5]]
B1 = [171, 184, 171]
# LIF with beta 0.5 (v' = (128 v >> 8) + I = (v >> 1) + I; spike iff v' > 256; subtract 256):
#   I = 171: 171 | 85 + 171 = 256 = theta, no spike | 128 + 171 = 299 -> spike, 43 | 21 + 171 = 192
#   I = 200: 200 | 100 + 200 = 300 -> 44 | 22 + 200 = 222 | 111 + 200 = 311 -> 55
#   I = 203: 203 | 101 + 203 = 304 -> 48 | 24 + 203 = 227 | 113 + 203 = 316 -> 60
#   I = 211: 211 | 105 + 211 = 316 -> 60 | 30 + 211 = 241 | 120 + 211 = 331 -> 75
_SEQ = {171: ([171, 256, 43, 192], [0, 0, 1, 0]), 200: ([200, 44, 222, 55], [0, 1, 0, 1]),
        203: ([203, 48, 227, 60], [0, 1, 0, 1]), 211: ([211, 60, 241, 75], [0, 1, 0, 1])}
# class counts: A (2, 2, 1) -> prediction 0 (tie of 0 and 1: the lowest index);
#               B (1, 2, 2) -> prediction 1 (tie of 1 and 2)


def tie_qnet() -> QuantizedNet:
    """The net above, built from its integers (no float quantisation)."""

    def layer(w, b, beta, kind, mult, fxp_mult, fxp_shift):
        return QuantizedLayer(weight_q=np.array(w, dtype=np.int64), weight_scale=1.0,
                              bias_q=np.array(b, dtype=np.int64), beta_q=beta, threshold_q=THETA, input_kind=kind,
                              scale_mult=mult, scale_shift=1, fxp_mult=fxp_mult, fxp_shift=fxp_shift)

    return QuantizedNet((layer(W0, B0, 0, "prob", 3, 3, 4), layer(W1, B1, 128, "spike", 16, 16, 1)), CONFIG)


def _const(values) -> np.ndarray:
    return np.tile(np.array(values, dtype=np.int64), (T, 1))


def expected(image: int) -> dict:
    """Hand-derived integers of image 0 (A) or 1 (B): per layer ``(T, n)`` arrays, class counts, prediction."""
    if image == 0:
        c0, i0 = [2, 1, -1, 2, -2, 1], [256, 256, 257, 32767, -32768, 257]
        v0, s0 = [256, 256, 1, 32511, -32768, 1], [0, 0, 1, 1, 0, 1]
        c1, i1 = [4, 2, 0], [203, 200, 171]
        counts, prediction = [2, 2, 1], 0
    else:
        c0, i0 = [0] * 6, [253, 254, 258, 32767, -32768, 255]
        v0, s0 = [253, 254, 2, 32511, -32768, 255], [0, 0, 1, 1, 0, 0]
        c1, i1 = [0, 2, 5], [171, 200, 211]
        counts, prediction = [1, 2, 2], 1
    m1 = np.array([_SEQ[i][0] for i in i1], dtype=np.int64).T
    s1 = np.array([_SEQ[i][1] for i in i1], dtype=np.int64).T
    return {"sc_counts": [_const(c0), _const(c1)], "currents": [_const(i0), _const(i1)],
            "membranes": [_const(v0), m1], "spikes": [_const(s0), s1],
            "counts": counts, "prediction": prediction}


#: Single LIF steps on the saturation bounds and the threshold, by hand (``v``, ``I``, ``beta_q``,
#: ``theta_q``) -> (``v'``, spike):
LIF_EDGES = [
    # v = sat((255 * 32767 >> 8) + 32767) = sat(32639 + 32767) = 32767 = theta: no spike (strict >)
    ((32767, 32767, 255, 32767), (32767, 0)),
    # one below the bound as threshold: 32767 > 32766, spike, 32767 - 32766 = 1
    ((32767, 32767, 255, 32766), (1, 1)),
    # (255 * -32768) >> 8 = -32640 (floor); -32640 - 32768 saturates at -32768, no spike
    ((-32768, -32768, 255, 1), (-32768, 0)),
    # leak before input: (128 * 100 >> 8) + 156 = 50 + 156 = 206 (input first would give (128 * 256) >> 8 = 128)
    ((100, 156, 128, 300), (206, 0)),
    # exactly theta after the leak: (128 * 3 >> 8) + 255 = 1 + 255 = 256: no spike
    ((3, 255, 128, 256), (256, 0)),
    # one above: 1 + 256 = 257: spike, subtract: 1 (a reset to zero would give 0)
    ((3, 256, 128, 256), (1, 1)),
    # a negative leak floors: (230 * -1) >> 8 = -1; -1 + 0 = -1
    ((-1, 0, 230, 256), (-1, 0)),
]
