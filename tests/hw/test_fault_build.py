"""A fault build of the engine (hw.faults) equals the NumPy model under the same faults, integer for integer, at
every timestep: count changes (bitstream and count sites) and membrane upsets injected image by image; weight
upsets through a core built from the corrupted weights."""

from __future__ import annotations

import numpy as np
import pytest
from sc_neurocore.hw.faults import FaultPlan
from sc_neurocore.hw.network import SCNetworkCore
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.sc.faults import FaultModel, corrupt_weights
from sc_neurocore.sc.network import SCNetwork

from .helpers import run_core
from .reference import random_qnet
from .test_network import _images


def _compare(qnet, T, images, outs, words, res):
    """The core's results and trace words against a faulty model run ``res``."""
    for b, (counts, pred, _) in enumerate(outs):
        assert counts == res.counts[b].tolist()
        assert pred == res.prediction[b]
    n_l = [layer.n_out for layer in qnet.layers]
    per_image = T * sum(n_l)
    assert len(words) == per_image * len(images)
    for b in range(len(images)):
        got = {name: [np.zeros((T, n), np.int64) for n in n_l] for name in ("sc_counts", "currents", "membranes",
                                                                           "spikes")}
        for layer, t, neuron, c, cur, v, s in words[b * per_image:(b + 1) * per_image]:
            for name, val in zip(got, (c, cur, v, s)):
                got[name][layer][t, neuron] = val
        for name in got:
            for li in range(len(n_l)):
                np.testing.assert_array_equal(got[name][li], getattr(res, name)[li][:, b], err_msg=f"{name}[{li}]")


@pytest.mark.parametrize("site,rate,par,T", [
    ("bitstream", 0.05, (3, 2), 5),
    ("count", 0.02, (2, 5), 5),
    ("membrane", 0.03, (4, 3), 6),
])
def test_fault_build_equals_the_faulty_model(site, rate, par, T):
    cfg = SCConfig(rng="lfsr", seed=3, length=8, lfsr_steps=3)
    qnet = random_qnet([7, 9, 4], cfg, seed=2)
    images = _images(4, 3, 7)
    model = FaultModel(site, rate, seed=5)
    res = SCNetwork(qnet).run_codes(images, T, trace=True, faults=model)
    clean = SCNetwork(qnet).run_codes(images, T, trace=True)
    assert not np.array_equal(res.membranes[0], clean.membranes[0])  # the faults changed something
    plan = FaultPlan.from_trace(res)
    core = SCNetworkCore(qnet, T, parallelism=par, trace=True, faults=plan)
    outs, words, _ = run_core(core, images)
    _compare(qnet, T, images, outs, words, res)


def test_weight_upsets_are_a_corrupted_build():
    cfg = SCConfig(length=8)
    qnet = random_qnet([6, 8, 3], cfg, seed=1)
    images = _images(2, 2, 6)
    model = FaultModel("weights", 0.05, seed=2)
    res = SCNetwork(qnet).run_codes(images, 4, trace=True, faults=model)
    core = SCNetworkCore(corrupt_weights(qnet, model), 4, parallelism=(2, 4), trace=True)
    outs, words, _ = run_core(core, images)
    _compare(qnet, 4, images, outs, words, res)


def test_a_plan_must_fit_the_net():
    cfg = SCConfig(length=8)
    qnet = random_qnet([6, 8, 3], cfg, seed=1)
    res = SCNetwork(qnet).run_codes(_images(2, 2, 6), 4, trace=True, faults=FaultModel("count", 0.1))
    plan = FaultPlan.from_trace(res)
    with pytest.raises(ValueError, match="T=4"):
        SCNetworkCore(qnet, 5, faults=plan)
    with pytest.raises(ValueError, match="holds no faults"):
        FaultPlan.from_trace(SCNetwork(qnet).run_codes(_images(2, 2, 6), 4, trace=True))
