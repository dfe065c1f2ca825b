"""The network core against the NumPy SC model: a tiny random net on both simulators.

The cocotb test lives in :mod:`sc_neurocore.sim.tb_network` (the regression runs it on
the trained digits net); this file is its pytest entry point.
"""

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
