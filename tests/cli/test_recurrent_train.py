"""``sc-neurocore train --recurrent``: its refusals, and a recurrent checkpoint through sc-eval and export."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch")


@pytest.mark.parametrize(("argv", "text"), [
    (["--arch", "conv"], "--recurrent applies to --arch dense"),
    (["--neuron", "alif"], "--recurrent layers are recurrent LIF layers (RecurrentLIFCell): not with --neuron alif"),
    (["--neuron", "synaptic", "--alpha", "0.5"], "not with --neuron synaptic"),
])
def test_train_recurrent_refusals(cli, tmp_path, argv, text):
    out = tmp_path / "x.pt"
    r = cli("train", "--recurrent", *argv, "--epochs", "1", "-o", str(out))
    assert r.code == 2 and text in r.err and "Traceback" not in r.err
    assert not out.exists()


def test_train_model_refuses_what_the_command_refuses():
    from sc_neurocore.cli.train import train_model

    with pytest.raises(ValueError, match="not with --arch conv"):
        train_model(arch="conv", recurrent=True, epochs=1)
    with pytest.raises(ValueError, match="not with --neuron expif"):
        train_model(neuron="expif", recurrent=True, epochs=1)


def test_a_recurrent_checkpoint_goes_through_sc_eval_and_export(cli, tmp_path):
    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.sc.network import SCNetwork
    from sc_neurocore.training import RecurrentLIFCell, load_checkpoint

    ckpt, npz = tmp_path / "rec.pt", tmp_path / "rec.npz"
    r = cli("train", "--recurrent", "--hidden", "16", "--epochs", "2", "--T", "8", "--seed", "1", "--no-progress",
            "-o", str(ckpt))
    assert r.code == 0, r.err
    assert "64->16->10 (recurrent hidden layers)" in r.out
    model, meta = load_checkpoint(ckpt)
    assert meta["recurrent"] is True and isinstance(model.lifs[0], RecurrentLIFCell)
    assert model.lifs[0].recurrent.weight.abs().sum() > 0  # trained away from its zero start
    r = cli("sc-eval", "--checkpoint", str(ckpt), "--limit", "60", "--json")
    assert r.code == 0, r.err
    res = json.loads(r.out)
    assert res["n_test"] == 60 and res["T"] == 8 and res["float_accuracy"] > 0.5
    r = cli("export", "--checkpoint", str(ckpt), "--length", "16", "-o", str(npz))
    assert r.code == 0, r.err
    qnet = QuantizedNet.load(npz)
    assert [layer.recurrent for layer in qnet.layers] == [True, False]
    np.testing.assert_array_equal(qnet.layers[0].recurrent_q, model.to_quantized(qnet.config).layers[0].recurrent_q)
    # the SC model of the file is the SC model of the checkpoint, and sc-eval scored that model
    from sc_neurocore.datasets import load_dataset

    x, y = load_dataset("digits", "test")
    pred = SCNetwork.from_quantized(qnet).run(x[:60], 8, trace=False).prediction
    np.testing.assert_array_equal(pred, SCNetwork.from_spiking_net(model, qnet.config).run(x[:60], 8,
                                                                                           trace=False).prediction)
    assert abs(float((pred == y[:60]).mean()) - res["sc_accuracy"]) < 1e-12


def test_export_nir_refuses_a_recurrent_checkpoint(cli, tmp_path):
    pytest.importorskip("nir")
    import torch
    from sc_neurocore.training import SpikingNet, save_checkpoint

    torch.manual_seed(0)
    ckpt = save_checkpoint(SpikingNet(sizes=[64, 5, 10], recurrent=True), tmp_path / "r.pt")
    r = cli("export-nir", "--checkpoint", str(ckpt), "-o", str(tmp_path / "r.nir"))
    assert r.code == 2 and "recurrent layers" in r.err and "Traceback" not in r.err
