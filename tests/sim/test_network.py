"""The network core against the NumPy SC model: a tiny random net on both simulators.

The cocotb test lives in :mod:`sc_neurocore.sim.tb_network` (the regression runs it on
the trained digits net); this file is its pytest entry point.
"""

import functools

import numpy as np
import pytest

pytest.importorskip("amaranth")
pytest.importorskip("cocotb")

from sc_neurocore.sim import runner  # noqa: E402
from sc_neurocore.sim.nets import random_codes  # noqa: E402
from sc_neurocore.sim.tb_network import run_network  # noqa: E402
from sc_neurocore.sim.vectors import make_vectors  # noqa: E402


def _need(sim):
    try:
        runner.check_simulator(sim)
    except runner.SimulatorNotFound as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def tiny_vectors(tiny_qnet):
    """The shared tiny net (conftest), T=5, 4 images."""
    vec = make_vectors(tiny_qnet, random_codes(4, 7, seed=3), T=5)
    assert vec.expected.spikes[0].sum() > 0, "the hidden layer should fire"
    return vec


@pytest.mark.sim
@pytest.mark.parametrize("sim", runner.SIMULATORS)
def test_tiny_network_zero_mismatches(sim, tiny_vectors):
    _need(sim)
    rep = run_network(tiny_vectors, sim=sim, parallelism=(2, 3), batch=3, stall=True)
    assert rep["passed"]
    assert rep["scoreboard"]["mismatches"] == 0
    # counts, currents, membranes, spikes of both layers at every timestep, plus fields and results
    n_values = 4 * 5 * 4 * (6 + 3)
    assert rep["scoreboard"]["compared"] >= n_values
    assert rep["rtl_prediction"] == tiny_vectors.expected.prediction.tolist()


@pytest.mark.sim
@pytest.mark.parametrize("what", ["membrane", "count"])
def test_network_scoreboard_catches_injected_mismatch(what, tiny_vectors):
    sims = runner.available_simulators()
    if not sims:
        pytest.skip("no simulator installed")
    rep = run_network(tiny_vectors, sim=sims[0], parallelism=(2, 3), batch=3, stall=True, inject=what,
                      check=False)
    assert not rep["passed"]
    assert rep["scoreboard"]["mismatches"] == 1
    first = rep["scoreboard"]["first"]
    if what == "membrane":  # image 1, timestep T//2 = 2, last layer, neuron n//2 = 1
        assert first.startswith("membrane at layer 1, image 1, timestep 2, neuron 1:"), first
    else:
        assert first.startswith("class count at image 0, class 0"), first
    assert "NumPy model" in first and "RTL" in first


#: The tiny net's shape (7-6-3) with each neuron kind beyond LIF: ``neuron: (T, values compared per neuron and
#: timestep, check that every layer used the kind's own states)``.  The values per neuron and step: the count,
#: current, membrane and spike, plus the kind's states (``i_syn``; ``a``; ``i_exc`` and ``i_inh``; ...).
TINY_KINDS = {
    "synaptic": (5, 5, lambda st: st["i_syn"].any()),
    "alif": (6, 5, lambda st: st["a"].any()),
    "alpha": (6, 6, lambda st: st["i_exc"].any() and st["i_inh"].any()),
    "second_order": (6, 5, lambda st: st["a"].any()),  # the inertial term
    "expif": (6, 5, lambda st: True),  # no state beyond the membrane; the net's one exp table
    "adex": (6, 5, lambda st: st["w"].any()),
}


@functools.cache
def tiny_kind_vectors(neuron: str):
    """The tiny net's shape with ``neuron`` layers, 4 images; both layers fire and use the kind's states."""
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.sim.nets import random_qnet

    T, _, uses_states = TINY_KINDS[neuron]
    qnet = random_qnet((7, 6, 3), SCConfig(length=8, rng="sobol", seed=5), seed=2, neuron=neuron)
    vec = make_vectors(qnet, random_codes(4, 7, seed=3), T=T)
    assert vec.expected.spikes[0].sum() > 0 and vec.expected.spikes[1].sum() > 0, "both layers should fire"
    assert all(uses_states(st) for st in vec.expected.states), f"every {neuron} layer should use its states"
    return vec


def test_tiny_kinds_cover_every_neuron_kind():
    from sc_neurocore.sc.contract import NEURONS

    assert sorted(TINY_KINDS) == sorted(set(NEURONS) - {"lif"})  # LIF: test_tiny_network_zero_mismatches


@pytest.mark.sim
@pytest.mark.parametrize("sim", runner.SIMULATORS)
@pytest.mark.parametrize("neuron", list(TINY_KINDS))
def test_tiny_kind_network_zero_mismatches(neuron, sim):
    """SC model == RTL on every integer of a net of each neuron kind, the kind's states included, on both
    simulators."""
    _need(sim)
    vec = tiny_kind_vectors(neuron)
    T, values, _ = TINY_KINDS[neuron]
    rep = run_network(vec, sim=sim, parallelism=(2, 3), batch=3, stall=True)
    assert rep["passed"] and rep["scoreboard"]["mismatches"] == 0
    assert rep["scoreboard"]["compared"] >= 4 * T * values * (6 + 3)
    assert rep["rtl_prediction"] == vec.expected.prediction.tolist()


@pytest.fixture(scope="module")
def tiny_synaptic_vectors():
    return tiny_kind_vectors("synaptic")


@pytest.fixture(scope="module")
def tiny_alpha_vectors():
    return tiny_kind_vectors("alpha")


@pytest.mark.sim
def test_synaptic_scoreboard_catches_a_wrong_synaptic_current(tiny_synaptic_vectors):
    sims = runner.available_simulators()
    if not sims:
        pytest.skip("no simulator installed")
    rep = run_network(tiny_synaptic_vectors, sim=sims[0], parallelism=(2, 3), batch=3, stall=True, inject="i_syn",
                      check=False)
    assert not rep["passed"] and rep["scoreboard"]["mismatches"] == 1
    assert rep["scoreboard"]["first"].startswith("i_syn at layer 1, image 1, timestep 2, neuron 1:")


@pytest.mark.sim
def test_run_rtl_returns_the_synaptic_currents(tiny_synaptic_vectors):
    from sc_neurocore.sim.rtl import run_rtl

    sims = runner.available_simulators()
    if not sims:
        pytest.skip("no simulator installed")
    vec = tiny_synaptic_vectors
    run = run_rtl(vec.qnet, vec.codes, vec.T, sim=sims[0], parallelism=(2, 3))
    assert run.mismatches == 0
    for li in range(2):
        np.testing.assert_array_equal(run.states[li]["i_syn"], vec.expected.states[li]["i_syn"])
    assert run.as_trace().states[1]["i_syn"].shape == (5, 4, 3)


@pytest.mark.sim
def test_alpha_scoreboard_catches_a_wrong_inhibitory_current(tiny_alpha_vectors):
    sims = runner.available_simulators()
    if not sims:
        pytest.skip("no simulator installed")
    rep = run_network(tiny_alpha_vectors, sim=sims[0], parallelism=(2, 3), batch=3, stall=True, inject="i_inh",
                      check=False)
    assert not rep["passed"] and rep["scoreboard"]["mismatches"] == 1
    assert rep["scoreboard"]["first"].startswith("i_inh at layer 1, image 1, timestep 3, neuron 1:")


@pytest.fixture(scope="module")
def tiny_recurrent_vectors():
    """The tiny net's shape with a recurrent hidden layer (RecurrentLIF: its own spikes of t - 1 as inputs), T=6."""
    from dataclasses import replace

    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.sc.network import SCNetwork
    from sc_neurocore.sim.nets import random_qnet

    qnet = random_qnet((7, 6, 3), SCConfig(length=8, rng="sobol", seed=5), seed=2, recurrent=True)
    assert qnet.layers[0].recurrent and not qnet.layers[1].recurrent
    codes = random_codes(4, 7, seed=3)
    vec = make_vectors(qnet, codes, T=6)
    assert vec.expected.spikes[0].sum() > 0 and vec.expected.spikes[1].sum() > 0, "both layers should fire"
    ff = QuantizedNet(tuple(replace(layer, recurrent_q=None) for layer in qnet.layers), qnet.config)
    assert not np.array_equal(SCNetwork(ff).run_codes(codes, 6).sc_counts[0], vec.expected.sc_counts[0]), \
        "the recurrent weights change the hidden counts"
    return vec


@pytest.mark.sim
@pytest.mark.parametrize("sim", runner.SIMULATORS)
def test_tiny_recurrent_network_zero_mismatches(sim, tiny_recurrent_vectors):
    """SC model == RTL on every integer of a RecurrentLIF net on both simulators; three groups of two lanes, so the
    neuron unit keeps the states of the groups between timesteps in its state memory."""
    _need(sim)
    rep = run_network(tiny_recurrent_vectors, sim=sim, parallelism=(2, 1), batch=3, stall=True)
    assert rep["passed"] and rep["scoreboard"]["mismatches"] == 0
    assert rep["scoreboard"]["compared"] >= 4 * 6 * 4 * (6 + 3)
    assert rep["rtl_prediction"] == tiny_recurrent_vectors.expected.prediction.tolist()
