"""A small digits net trained for a few epochs and a stand-in for the RTL (the split: ``digits`` of tests/conftest.py)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("matplotlib")
pytest.importorskip("amaranth")

#: Timesteps of the test net (small, so that every test is quick).
T = 8


@pytest.fixture(scope="session")
def trained(digits, tmp_path_factory):
    """``(model, checkpoint path)``: a 64-24-10 SpikingNet, 3 epochs on digits (well above chance)."""
    from sc_neurocore.training import SpikingNet, save_checkpoint, train_epoch
    from torch.utils.data import DataLoader, TensorDataset

    x_tr, _, y_tr, _ = digits  # tests/conftest.py: (x_tr, x_te, y_tr, y_te)
    torch.manual_seed(0)
    model = SpikingNet(64, 24, 10)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    loader = DataLoader(TensorDataset(torch.as_tensor(x_tr), torch.as_tensor(y_tr)), batch_size=64, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    history = []
    for epoch in range(3):
        loss, acc = train_epoch(model, loader, opt, T, progress=False)
        history.append({"epoch": epoch + 1, "loss": loss, "accuracy": acc})
    model.eval()
    path = tmp_path_factory.mktemp("net") / "net.pt"
    save_checkpoint(model, path, dataset="digits", epochs=3, seed=0, T=T, history=history)
    return model, path


def sc_as_rtl(qnet, codes, T, *, sim, parallelism=None, trace=True, progress=None):
    """A stand-in for ``sc_neurocore.sim.run_rtl`` (same ``RTLRun`` fields): the SC model's integers and the
    clock model's clocks, i.e. what a correct RTL returns."""
    from sc_neurocore.hw.network import image_cycles
    from sc_neurocore.sc.network import SCNetwork

    r = SCNetwork.from_quantized(qnet).run_codes(codes, T, trace=True)
    return SimpleNamespace(counts=r.counts, prediction=r.prediction,
                           cycles=image_cycles(qnet, T, parallelism, codes, trace=True),
                           sc_counts=r.sc_counts, currents=r.currents, membranes=r.membranes, spikes=r.spikes)


def broken_rtl(layer: int = 0, t: int = 1, image: int = 0, neuron: int = 0):
    """A stand-in RTL whose membrane of one (layer, t, image, neuron) is off by one."""

    def run(qnet, codes, T, **kw):
        r = sc_as_rtl(qnet, codes, T, **kw)
        r.membranes = [np.array(m) for m in r.membranes]
        r.membranes[layer][t, image, neuron] += 1
        return r

    return run


@pytest.fixture(scope="session")
def report_data(trained, digits):
    """``collect`` on the trained net with the stand-in RTL (10 images) and no board folders."""
    from sc_neurocore.report import collect
    from sc_neurocore.sc.contract import SCConfig

    model, path = trained
    _, x, _, y = digits
    qnet = model.to_quantized(SCConfig(rng="sobol"))
    return collect(qnet, x, y, T=T, model=model, sim="verilator", limit=10, image=3, boards=[], source=str(path),
                   meta={"history": [{"epoch": 1, "loss": 1.0, "accuracy": 0.5}], "epochs": 1},
                   rtl_runner=sc_as_rtl)
