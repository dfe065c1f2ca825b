"""``sc-neurocore sc-eval`` end to end on a small checkpoint."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from sc_neurocore.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from sc_neurocore.training import SpikingNet, save_checkpoint

    torch.manual_seed(0)
    model = SpikingNet(n_input=64, n_hidden=16, n_output=10)
    path = tmp_path_factory.mktemp("ckpt") / "net.pt"
    save_checkpoint(model, path, dataset="digits", epochs=0, seed=0)
    return path


def test_sc_eval_json(checkpoint, capsys):
    rc = main(["sc-eval", "--checkpoint", str(checkpoint), "--length", "8", "--rng", "sobol", "--T", "5", "--json"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert res["n_test"] == 360 and res["config"]["length"] == 8 and res["config"]["rng"] == "sobol"
    for key in ("float_accuracy", "fixed_accuracy", "fixed_agreement", "sc_accuracy", "sc_agreement"):
        assert 0.0 <= res[key] <= 1.0
    assert res["sc_samples_per_s"] > 0


def test_sc_eval_text_and_lfsr_options(checkpoint, capsys):
    rc = main(["sc-eval", "--checkpoint", str(checkpoint), "--length", "4", "--lfsr-steps", "8", "--seed", "3",
               "--T", "3"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "fixed-point" in out and "lfsr_steps=8" in out and "agreement with float" in out


def test_sc_eval_errors(checkpoint, tmp_path, capsys):
    assert main(["sc-eval", "--checkpoint", str(tmp_path / "missing.pt")]) == 2
    assert main(["sc-eval", "--checkpoint", str(checkpoint), "--lfsr-steps", "17"]) == 2
    assert "lfsr_steps" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sc-eval", "--checkpoint", str(checkpoint), "--length", "0"])
