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


def test_the_image_counter_wraps_after_the_plans_last_image():
    """A plan of 3 images on a run of 6: images 4..6 meet the plan's images 1..3 again (the counter wraps to 0
    after the last, not to 1 and not past the plan), so they give the faulty run of the first three."""
    cfg = SCConfig(rng="lfsr", seed=3, length=8, lfsr_steps=3)
    qnet = random_qnet([7, 9, 4], cfg, seed=2)
    images, T = _images(6, 3, 7), 4
    res = SCNetwork(qnet).run_codes(images, T, trace=True, faults=FaultModel("count", 0.05, seed=9))
    plan = FaultPlan.from_trace(res)
    assert plan.images == 3
    deltas = [np.abs(a).sum(axis=(0, 2)) for a in plan.count_delta]
    assert all(d.all() for d in deltas)  # every image of the plan has count changes
    core = SCNetworkCore(qnet, T, parallelism=(2, 2), trace=True, faults=plan)
    outs, words, _ = run_core(core, np.concatenate([images, images]))
    half = len(words) // 2
    _compare(qnet, T, images, outs[:3], words[:half], res)
    _compare(qnet, T, images, outs[3:], words[half:], res)


def test_plan_shape_and_the_values_past_a_layer():
    """A one-layer plan's T and images; value() is the stored entry inside the layer and 0 for a lane past its
    neurons, a group past its groups or a timestep past T (6 neurons in groups of 4: groups 0 and 1)."""
    from types import SimpleNamespace

    cd = np.arange(2 * 3 * 6, dtype=np.int64).reshape(2, 3, 6) - 5  # (T, images, n)
    sx = np.full((2, 3, 6), 7, dtype=np.int64)
    plan = FaultPlan((cd,), (sx,))
    assert (plan.T, plan.images) == (2, 3)
    spec = SimpleNamespace(plans=[SimpleNamespace(groups=2, n_out=6)], lanes=4, T=2)
    assert plan.value("count_delta", spec, 0, 2, 1, 1, 1) == int(cd[1, 2, 5]) == 30
    assert plan.value("count_delta", spec, 0, 1, 0, 3, 0) == int(cd[0, 1, 3]) == 4
    assert plan.value("state_xor", spec, 0, 0, 1, 0, 1) == 7
    for name in ("count_delta", "state_xor"):
        assert plan.value(name, spec, 0, 2, 1, 2, 1) == 0  # neuron 6 of 6
        assert plan.value(name, spec, 0, 2, 2, 0, 1) == 0  # group 2 of 2
        assert plan.value(name, spec, 0, 2, 0, 0, 2) == 0  # timestep 2 of 2
