"""The peers' neuron conventions on the RTL: integrate-and-fire (beta = 1 exactly), reset to zero and
snnTorch's delayed reset in one net, SC model == RTL with 0 mismatches on both simulators (issue 12, item 3)."""

import numpy as np
import pytest

pytest.importorskip("amaranth")
pytest.importorskip("cocotb")

from sc_neurocore.export import QuantizedNet  # noqa: E402
from sc_neurocore.sc.contract import SCConfig  # noqa: E402
from sc_neurocore.sim import runner  # noqa: E402
from sc_neurocore.sim.nets import random_codes  # noqa: E402
from sc_neurocore.sim.tb_network import run_network  # noqa: E402
from sc_neurocore.sim.vectors import make_vectors  # noqa: E402

SIZES = (7, 6, 5, 3)
T = 6


@pytest.fixture(scope="module")
def conventions_vectors():
    rng = np.random.default_rng(31)
    ws = [rng.normal(0.3, 3.0 / np.sqrt(a), (b, a)) for a, b in zip(SIZES[:-1], SIZES[1:])]
    bs = [rng.normal(0.0, 0.2, b) for b in SIZES[1:]]
    qnet = QuantizedNet.from_float(ws, bs, [1.0, 0.8, 0.9], [0.9, 0.6, 0.7], SCConfig(length=8, seed=7),
                                   resets=["subtract", "zero", "subtract-delayed"])
    assert qnet.layers[0].beta_q == 256 and qnet.layers[1].reset == "zero" and qnet.layers[2].reset_q == 199
    vec = make_vectors(qnet, random_codes(4, SIZES[0], seed=6), T=T)
    for li, s in enumerate(vec.expected.spikes):
        assert s.sum() > 0, f"layer {li} never fires"
    zero_after_spike = (vec.expected.membranes[1][vec.expected.spikes[1] == 1] == 0).all()
    assert zero_after_spike  # the zero reset is what the model did
    return vec


@pytest.mark.sim
@pytest.mark.parametrize("sim", runner.SIMULATORS)
def test_conventions_zero_mismatches(sim, conventions_vectors):
    try:
        runner.check_simulator(sim)
    except runner.SimulatorNotFound as exc:
        pytest.skip(str(exc))
    rep = run_network(conventions_vectors, sim=sim, parallelism=(2, 3), batch=4)
    assert rep["passed"] and rep["scoreboard"]["mismatches"] == 0
    assert rep["scoreboard"]["compared"] >= 4 * T * 4 * sum(SIZES[1:])
    assert rep["rtl_prediction"] == conventions_vectors.expected.prediction.tolist()
