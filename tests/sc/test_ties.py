"""The NumPy model on a hand-built net whose values land exactly on theta, the saturation bounds and argmax ties.

The net and every expected integer, derived by hand, are in ``tests/exact_ties.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from exact_ties import IMAGES, LIF_EDGES, T, expected, tie_qnet
from sc_neurocore.export import QuantizedNet
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.sc.fixed import lif_step, scale_count
from sc_neurocore.sc.network import FixedPointNetwork, SCNetwork

FIELDS = ("sc_counts", "currents", "membranes", "spikes")


def _check(res, fields=FIELDS):
    for b in range(len(IMAGES)):
        want = expected(b)
        for name in fields:
            for li in range(2):
                np.testing.assert_array_equal(getattr(res, name)[li][:, b], want[name][li],
                                              err_msg=f"image {b} {name}[{li}]")
        assert res.counts[b].tolist() == want["counts"], f"image {b}"
        assert int(res.prediction[b]) == want["prediction"], f"image {b}"


@pytest.mark.parametrize("exact_bits", [False, True])
def test_sc_model_lands_on_the_hand_derived_ties(exact_bits):
    _check(SCNetwork.from_quantized(tie_qnet(), exact_bits=exact_bits).run_codes(IMAGES, T, trace=True))


def test_fixed_point_rung_lands_on_the_same_ties():
    """``C_fxp = 8 C`` and ``(3 C_fxp + 8) >> 4 = (3 C + 1) >> 1``: the same currents, membranes and spikes."""
    res = FixedPointNetwork.from_quantized(tie_qnet()).run_codes(IMAGES, T, trace=True)
    np.testing.assert_array_equal(res.sc_counts[0][:, 0], 8 * expected(0)["sc_counts"][0])
    _check(res, FIELDS[1:])


def test_argmax_ties_take_the_lowest_index():
    res = SCNetwork.from_quantized(tie_qnet()).run_codes(IMAGES, T, trace=False)
    assert res.counts.tolist() == [[2, 2, 1], [1, 2, 2]]
    assert res.prediction.tolist() == [0, 1]


@pytest.mark.parametrize("case,want", LIF_EDGES)
def test_lif_step_edges_by_hand(case, want):
    v, i, beta, theta = case
    got_v, got_s = lif_step(np.array([v]), np.array([i]), beta, theta)
    assert (int(got_v[0]), int(got_s[0])) == want


def test_count_scaling_ties_by_hand():
    # (3 C + 1) >> 1: 1.5 -> 2, -1.5 -> -1 (round half up), 3 -> 3; (C m + 2**(sh-1)) >> sh
    assert scale_count(np.array([1, -1, 2, -2]), 3, 1).tolist() == [2, -1, 3, -3]
    # on the bounds: 32767 + 0.5 up -> sat 32767; -32768 - 0.5 up -> -32768 exactly (no saturation needed)
    assert scale_count(np.array([1, -1]), 1, 1, np.array([32767, -32768])).tolist() == [32767, -32768]
    assert scale_count(np.array([2, -3]), 1, 1, np.array([32767, -32768])).tolist() == [32767, -32768]


def test_weight_codes_round_half_up_in_the_export():
    """k = 3, s = 1: 0.5 * 7 = 3.5 -> 4 (floor would give 3); -0.5 -> -4; 0.25 * 7 = 1.75 -> 2."""
    q = QuantizedNet.from_float([np.array([[1.0, 0.5, -0.5, 0.25]])], [None], [0.5], [1.0],
                                SCConfig(prob_bits=3, length=8))
    assert q.layers[0].weight_q.tolist() == [[7, 4, -4, 2]]
    # threshold 1.0 -> 256, beta 0.5 -> 128, bias -0.5 / 256 -> floor(-0.5 + 0.5) = 0
    q = QuantizedNet.from_float([np.array([[1.0]])], [np.array([-0.5 / 256])], [0.5], [1.0])
    assert (q.layers[0].threshold_q, q.layers[0].beta_q, q.layers[0].bias_q.tolist()) == (256, 128, [0])
