"""Spike-encoded inputs on the RTL: a rate-coded net (a spike-input first layer, T-bit spike words on the core's
input) equals the SC model on Icarus and on Verilator, 0 mismatches (issue 12, item 6)."""

import numpy as np
import pytest

pytest.importorskip("amaranth")
pytest.importorskip("cocotb")

from sc_neurocore.export import QuantizedNet  # noqa: E402
from sc_neurocore.sc.contract import SCConfig  # noqa: E402
from sc_neurocore.sc.network import spike_words  # noqa: E402
from sc_neurocore.sim import runner  # noqa: E402
from sc_neurocore.sim.tb_network import run_network  # noqa: E402
from sc_neurocore.sim.vectors import make_vectors  # noqa: E402

T = 6


def rate_net():
    """9 -> 7 -> 3, the first layer fed spikes; weights drawn (seed 3) so that both layers fire."""
    g = np.random.default_rng(3)
    ws = [g.normal(0.3, 1.0, (7, 9)), g.normal(0.3, 1.0, (3, 7))]
    return QuantizedNet.from_float(ws, [g.normal(0, 0.2, 7), g.normal(0, 0.2, 3)], [0.85, 0.9], [0.6, 0.7],
                                   SCConfig(length=8, rng="sobol", seed=5), input_kind="spike")


@pytest.mark.sim
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_rate_coded_net_zero_mismatches(sim):
    try:
        runner.check_simulator(sim)
    except runner.SimulatorNotFound as exc:
        pytest.skip(str(exc))
    qnet = rate_net()
    assert qnet.spike_input
    rng = np.random.default_rng(8)  # a rate code: P(spike) = the pixel, seed 8
    pixels = rng.random((4, 9))
    raster = (rng.random((T, 4, 9)) < pixels[None]).astype(np.uint8)
    vec = make_vectors(qnet, spike_words(raster), T=T)
    for li, s in enumerate(vec.expected.spikes):
        assert s.sum() > 0, f"layer {li} never fires: the check would not mean much"
    rep = run_network(vec, sim=sim, parallelism=(2, 3), batch=4)
    assert rep["passed"] and rep["scoreboard"]["mismatches"] == 0
    assert rep["scoreboard"]["compared"] >= 4 * T * 4 * (7 + 3)
    assert rep["rtl_prediction"] == vec.expected.prediction.tolist()
