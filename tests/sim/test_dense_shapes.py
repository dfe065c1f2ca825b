"""Any dense shape down the chain: a 3-layer SpikingNet of unequal widths, per-layer beta and theta,
SC model == RTL on Verilator (issue 12, item 4)."""

import pytest

pytest.importorskip("amaranth")
pytest.importorskip("cocotb")
torch = pytest.importorskip("torch")

from sc_neurocore.sc.contract import SCConfig  # noqa: E402
from sc_neurocore.sim import runner  # noqa: E402
from sc_neurocore.sim.nets import random_codes  # noqa: E402
from sc_neurocore.sim.tb_network import run_network  # noqa: E402
from sc_neurocore.sim.vectors import make_vectors  # noqa: E402

SIZES = [7, 9, 5, 3]
T = 5


def unequal_net():
    """7 -> 9 -> 5 -> 3 with its own beta and theta per layer; weights scaled so that every layer fires."""
    from sc_neurocore.training import SpikingNet

    torch.manual_seed(12)
    model = SpikingNet(sizes=SIZES, beta=[0.9, 0.6, 0.75], threshold=[0.5, 0.75, 0.4])
    with torch.no_grad():
        for fc in model.fcs:
            fc.weight.mul_(4.0).add_(0.3)
    return model


@pytest.mark.sim
def test_three_layers_of_unequal_widths_zero_mismatches_on_verilator():
    try:
        runner.check_simulator("verilator")
    except runner.SimulatorNotFound as exc:
        pytest.skip(str(exc))
    qnet = unequal_net().to_quantized(SCConfig(length=8, seed=5))
    assert qnet.sizes == tuple(SIZES)
    assert len({layer.beta_q for layer in qnet.layers}) == 3 and len({layer.threshold_q for layer in qnet.layers}) == 3
    vec = make_vectors(qnet, random_codes(4, SIZES[0], seed=4), T=T)
    for li, s in enumerate(vec.expected.spikes):
        assert s.sum() > 0, f"layer {li} never fires: the check would not mean much"
    rep = run_network(vec, sim="verilator", parallelism=(2, 3), batch=4)
    assert rep["passed"] and rep["scoreboard"]["mismatches"] == 0
    n_values = 4 * T * 4 * sum(SIZES[1:])  # count, current, membrane, spike of every neuron, timestep, image
    assert rep["scoreboard"]["compared"] >= n_values
    assert rep["rtl_prediction"] == vec.expected.prediction.tolist()
