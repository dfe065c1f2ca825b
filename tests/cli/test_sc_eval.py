"""``sc-neurocore sc-eval`` end to end on a small checkpoint."""

from __future__ import annotations

import json

import pytest
from sc_neurocore.sc.contract import SCConfig

pytest.importorskip("torch")


def test_sc_eval_json(checkpoint, cli):
    r = cli("sc-eval", "--checkpoint", checkpoint, "--length", "8", "--rng", "sobol", "--T", "5", "--json")
    assert r.code == 0, r.err
    res = json.loads(r.out)
    assert res["n_test"] == 360 and res["config"]["length"] == 8 and res["config"]["rng"] == "sobol"
    for key in ("float_accuracy", "fixed_accuracy", "fixed_agreement", "sc_accuracy", "sc_agreement"):
        assert 0.0 <= res[key] <= 1.0
    assert res["sc_samples_per_s"] > 0


def test_sc_eval_defaults_are_the_contract(checkpoint, cli):
    r = cli("sc-eval", "--checkpoint", checkpoint, "--limit", "20", "--json")
    assert r.code == 0, r.err
    res = json.loads(r.out)
    default = SCConfig()
    assert res["config"]["rng"] == default.rng and res["config"]["length"] == default.length
    assert res["config"]["seed"] == default.seed and res["n_test"] == 20 and res["T"] == 5  # T: the checkpoint's


def test_sc_eval_text_and_lfsr_options(checkpoint, cli):
    r = cli("sc-eval", "--checkpoint", checkpoint, "--rng", "lfsr", "--length", "4", "--lfsr-steps", "8",
            "--seed", "3", "--T", "3")
    assert r.code == 0, r.err
    assert "fixed-point" in r.out and "lfsr_steps=8" in r.out and "agreement with float" in r.out


def test_a_conv_checkpoint_runs_through_sc_eval_and_export(conv_checkpoint, cli, tmp_path):
    """A ConvSpikingNet checkpoint: the SC model's predictions are the export's, through both commands."""
    import numpy as np
    from sc_neurocore.datasets import load_dataset
    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.sc.network import SCNetwork

    r = cli("sc-eval", "--checkpoint", conv_checkpoint, "--limit", "30", "--T", "5", "--json")
    assert r.code == 0, r.err
    res = json.loads(r.out)
    assert res["n_test"] == 30 and 0.0 <= res["sc_accuracy"] <= 1.0
    out = tmp_path / "conv.npz"
    r = cli("export", "--checkpoint", conv_checkpoint, "-o", out)
    assert r.code == 0, r.err
    assert "1x8x8-2c3-pool2-10" in r.out
    qnet = QuantizedNet.load(out)
    assert qnet.layers[0].conv is not None and qnet.layers[0].conv.kernel == 3
    x, y = load_dataset("digits", "test")
    pred = SCNetwork(qnet).run(x[:30], T=5, trace=False).prediction
    assert res["sc_accuracy"] == pytest.approx(float(np.mean(pred == y[:30])))
