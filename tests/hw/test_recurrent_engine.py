"""SCNetworkCore with recurrent layers (RecurrentLIF nets) against SCNetwork.run_codes(trace=True) and the
plain-Python reference, its exact clocks, and what the engine refuses."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sc_neurocore.export import QuantizedNet
from sc_neurocore.hw.network import SCNetworkCore, cycles_per_image
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.sc.network import SCNetwork

from .helpers import check_against_model, run_core


def recurrent_net(sizes, config, which, seed=0, *, input_kind="prob", rec_scale=1.0):
    """A random net with enough drive that the recurrent layers' neurons spike, layers ``which`` recurrent."""
    g = np.random.default_rng(seed)
    ws = [g.normal(0.2, 1.0, (b, a)) / np.sqrt(a) * 2 for a, b in zip(sizes[:-1], sizes[1:])]
    rec = [g.normal(0.0, 1.0, (b, b)) / np.sqrt(b) * 2 * rec_scale if i in which else None
           for i, b in enumerate(sizes[1:])]
    bs = [g.normal(0, 0.3, b) for b in sizes[1:]]
    return QuantizedNet.from_float(ws, bs, [0.85] * len(ws), [0.5] * len(ws), config, recurrent=rec,
                                   input_kind=input_kind)


def _images(seed, n, n_in):
    rng = np.random.default_rng(seed)
    img = rng.integers(1, 256, (n, n_in))
    img[rng.random((n, n_in)) < 0.3] = 0
    return img


def _recurrence_matters(qnet, images, T):
    """The net's counts differ from the same net without its recurrent weights (the test exercises them)."""
    ff = QuantizedNet(tuple(replace(layer, recurrent_q=None) for layer in qnet.layers), qnet.config)
    a = SCNetwork(qnet).run_codes(images, T)
    b = SCNetwork(ff).run_codes(images, T)
    return any(not np.array_equal(x, y) for x, y in zip(a.sc_counts, b.sc_counts))


@pytest.mark.parametrize("rng,sizes,which,par,T", [
    ("sobol", [6, 8, 4], (0,), (8, 1), 6),  # one group: the unit keeps the states in its registers
    ("lfsr", [6, 8, 4], (0,), (3, 1), 5),  # three groups (3, 3, 2): the states kept in the state memory
    ("sobol", [5, 7, 6, 3], (0, 1), (2, 1), 4),  # two recurrent layers, 4 and 3 groups
    ("lfsr", [4, 5, 6, 2], (1,), (6, 1), 5),  # a recurrent second layer (spike inputs), one group
    ("sobol", [5, 1, 3], (0,), (2, 1), 6),  # a recurrent layer of one neuron: one own spike input
    ("lfsr", [5, 4, 3], (0,), (2, 1), 5),  # two groups: the fewest that keep their states in the state memory
    # a recurrent layer of one group beside one of two: the state memory exists, the one-group layer keeps its
    # states in the registers (either order)
    ("sobol", [5, 6, 2, 3], (0, 1), (3, 1), 4),
    ("lfsr", [5, 2, 5, 3], (0, 1), (3, 1), 4),
])
def test_recurrent_core_equals_model_every_timestep(rng, sizes, which, par, T):
    cfg = SCConfig(rng=rng, seed=21, length=8, lfsr_steps=3)
    qnet = recurrent_net(sizes, cfg, which, seed=len(sizes))
    images = _images(3, 2, sizes[0])
    assert _recurrence_matters(qnet, images, T)
    core = SCNetworkCore(qnet, T, parallelism=par, trace=True)
    outs, words, _ = run_core(core, images, trace_ready_every=2)
    res = check_against_model(qnet, T, images, outs, words)
    for li in which:
        assert res.spikes[li].sum() > 0  # the recurrent layers did spike


def test_spike_input_recurrent_first_layer():
    T = 5
    cfg = SCConfig(seed=4, length=8)
    qnet = recurrent_net([4, 6, 3], cfg, (0,), seed=9, input_kind="spike")
    rng = np.random.default_rng(1)
    words = rng.integers(0, 1 << T, (2, 4))
    assert _recurrence_matters(qnet, words, T)
    core = SCNetworkCore(qnet, T, parallelism=(4, 1), trace=True)
    outs, trace, _ = run_core(core, words, trace_ready_every=1)
    check_against_model(qnet, T, words, outs, trace)


@pytest.mark.parametrize("par,trace", [((3, 1), False), ((8, 1), False), ((2, 1), True)])
def test_recurrent_cycles_per_image_exact(par, trace):
    """The clock model (every group of a timestep, then the next; each timestep after the first waits for the last
    one's spikes to be written) holds clock for clock."""
    T = 4
    cfg = SCConfig(rng="lfsr", seed=2, length=4)
    qnet = recurrent_net([7, 8, 3], cfg, (0,), seed=1)
    images = _images(0, 3, 7)
    images[1] = 0
    core = SCNetworkCore(qnet, T, parallelism=par, trace=trace)
    outs, words, accepts = run_core(core, images, trace=trace)
    check_against_model(qnet, T, images, outs, words)
    for b in range(2):
        got = accepts[7 * (b + 1)] - accepts[7 * b]
        assert got == cycles_per_image(qnet, T, par, trace=trace, xq=images[b])
        assert got <= cycles_per_image(qnet, T, par, trace=trace)


def test_recurrent_clocks_count_the_spikes_of_the_timestep_before():
    """One group, so each timestep's block issues right after the last one's spikes are written and its items bind:
    a block of timestep t issues the listed inputs and the spikes of t - 1, none at t = 0. The images spike
    differently at the first and the last timestep (7 against 4 neurons, 6 against 4), so counting the spikes of t
    instead of t - 1, or of the last timestep at t = 0, changes the clocks; the engine holds the model exactly."""
    T, cfg = 4, SCConfig(rng="lfsr", seed=2, length=4)
    qnet = recurrent_net([7, 8, 3], cfg, (0,), seed=2)
    images = _images(2, 2, 7)
    per_t = np.asarray(SCNetwork(qnet).run_codes(images, T, trace=True).spikes[0]).sum(axis=2).T
    assert per_t.tolist() == [[7, 4, 4, 4], [6, 4, 4, 4]]  # the premise: first and last timesteps differ
    core = SCNetworkCore(qnet, T, parallelism=(8, 1))
    outs, words, accepts = run_core(core, np.concatenate([images, images[:1]]), trace=False)
    check_against_model(qnet, T, np.concatenate([images, images[:1]]), outs, words)
    for b in range(2):
        assert accepts[7 * (b + 1)] - accepts[7 * b] == cycles_per_image(qnet, T, (8, 1), xq=images[b])


def test_recurrent_blocks_cost_their_own_spikes_and_the_wait():
    """Against the feedforward net of the same weights (worst case, one group): each block after the first timestep
    issues the n_out neurons that may have spiked, and each timestep after the first starts after the last is
    written; for an image, only the neurons that did spike at t - 1 (the model's spikes) cost a clock."""
    T, cfg = 4, SCConfig(rng="lfsr", seed=2, length=4)
    qnet = recurrent_net([7, 8, 3], cfg, (0,), seed=1)
    ff = QuantizedNet(tuple(replace(layer, recurrent_q=None) for layer in qnet.layers), qnet.config)
    assert cycles_per_image(qnet, T, (8, 1)) >= cycles_per_image(ff, T, (8, 1)) + (T - 1) * 8
    from sc_neurocore.hw.timing import recurrent_spikes

    img = _images(0, 1, 7)[0]
    per_t = recurrent_spikes(qnet, T, img)[0][0]
    assert per_t.tolist() == SCNetwork(qnet).run_codes(img, T).spikes[0][:, 0].sum(axis=1).tolist()
    assert 0 < per_t[:-1].sum() < (T - 1) * 8  # some, not all, neurons spiked: the list is shorter than the layer
    assert cycles_per_image(qnet, T, (8, 1), xq=img) < cycles_per_image(qnet, T, (8, 1))


def test_engine_refuses_what_its_recurrent_mode_does_not_run():
    cfg = SCConfig(length=4)
    qnet = recurrent_net([4, 5, 3], cfg, (0,))
    with pytest.raises(ValueError, match=r"one timestep per block: parallelism \(2, 1\), not \(2, 3\)"):
        SCNetworkCore(qnet, 3, parallelism=(2, 3))
    last = recurrent_net([4, 5, 3], cfg, (1,))
    with pytest.raises(ValueError, match="output layer cannot be recurrent"):
        SCNetworkCore(last, 3, parallelism=(2, 1))
    syn = QuantizedNet(tuple(replace(layer, neuron="synaptic", neuron_params={"alpha_q": 200})
                             for layer in qnet.layers), cfg)
    with pytest.raises(ValueError, match="recurrent layers of LIF neurons only"):
        SCNetworkCore(syn, 3, parallelism=(2, 1))
    from sc_neurocore.hw.faults import FaultPlan

    with pytest.raises(ValueError, match="fault build of a net with recurrent layers"):
        zeros = tuple(np.zeros((3, 1, n), np.int64) for n in (5, 3))
        SCNetworkCore(qnet, 3, parallelism=(2, 1), faults=FaultPlan(zeros, zeros))
