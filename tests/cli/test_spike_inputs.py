"""Spike-encoded inputs from the command line: ``train --input-encoding``, ``sc-eval``, ``export-vectors`` and
``verify --input-encoding`` run a net whose first layer takes spikes, and refuse what does not fit."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def rate_checkpoint(tmp_path_factory):
    """A 64-8-10 net trained one epoch on rate-coded digits (T=6)."""
    from sc_neurocore.cli.train import save_trained, train_model

    model, meta = train_model(hidden=8, T=6, epochs=1, input_encoding="rate", log=lambda line: None, progress=False)
    path = tmp_path_factory.mktemp("spike") / "rate.pt"
    save_trained(model, meta, path)
    return path


def test_train_records_the_encoding_and_the_chain_takes_spikes(rate_checkpoint, cli, tmp_path):
    from sc_neurocore.sc.network import SCNetwork
    from sc_neurocore.sim.vectors import load_vectors
    from sc_neurocore.training.checkpoint import load_checkpoint

    _, meta = load_checkpoint(rate_checkpoint)
    assert meta["input_encoding"] == "rate"
    r = cli("sc-eval", "--checkpoint", rate_checkpoint, "--limit", "30", "--json")
    assert r.code == 0, r.err
    res = json.loads(r.out)
    assert res["n_test"] == 30 and 0.0 <= res["sc_accuracy"] <= 1.0
    r = cli("export-vectors", "--checkpoint", rate_checkpoint, "--limit", "5", "-o", tmp_path / "v.npz")
    assert r.code == 0, r.err
    vec = load_vectors(tmp_path / "v.npz")
    assert vec.qnet.spike_input and vec.T == 6
    assert vec.codes.max() < 2 ** 6 and vec.codes.max() > 1  # spike words, several timesteps set
    again = SCNetwork.from_quantized(vec.qnet).run_codes(vec.codes, 6, trace=False)
    assert np.array_equal(again.counts, vec.expected.counts)


def test_the_encodings_give_different_rasters(rate_checkpoint, cli, tmp_path):
    from sc_neurocore.sim.vectors import load_vectors

    words = {}
    for enc in ("rate", "latency", "delta"):
        r = cli("export-vectors", "--checkpoint", rate_checkpoint, "--limit", "4", "--input-encoding", enc,
                "-o", tmp_path / f"{enc}.npz")
        assert r.code == 0, r.err
        words[enc] = load_vectors(tmp_path / f"{enc}.npz").codes
    # delta of a still image: the onset only, bit 0; latency: one spike per input at most
    assert set(np.unique(words["delta"]).tolist()) <= {0, 1}
    assert all(bin(int(w)).count("1") <= 1 for w in words["latency"].reshape(-1))
    assert not np.array_equal(words["rate"], words["latency"])


def test_verify_models_only_on_a_current_net_fed_rate_codes(checkpoint, cli):
    """A constant-current checkpoint run with --input-encoding rate: quantised with a spike-input first layer."""
    r = cli("verify", "--checkpoint", checkpoint, "--input-encoding", "rate", "--sim", "none", "--limit", "5")
    assert r.code == 0, r.err
    assert "5 images" in r.out


def test_refusals(export_npz, cli, tmp_path):
    r = cli("verify", "--export", export_npz, "--input-encoding", "rate", "--sim", "none", "--limit", "3")
    assert r.code == 2 and "input kind" in r.err
    r = cli("train", "--input-encoding", "rate", "--sc-finetune", "1", "-o", tmp_path / "x.pt")
    assert r.code == 2 and "--input-encoding" in r.err
    r = cli("verify", "--checkpoint", tmp_path / "none.pt", "--input-encoding", "morse")
    assert r.code == 2 and "invalid choice" in r.err


def test_the_command_line_knows_the_training_encoders():
    from sc_neurocore.cli.argtypes import INPUT_ENCODINGS
    from sc_neurocore.training.encoders import ENCODINGS

    assert INPUT_ENCODINGS == ENCODINGS


def test_your_own_rasters_as_data(rate_checkpoint, cli, tmp_path):
    """--data with a (T, N, n) raster feeds a spike-input net as is; wrong T, non-binary values are refused."""
    rng = np.random.default_rng(2)
    raster = (rng.random((6, 7, 64)) < 0.3).astype(np.uint8)
    np.savez(tmp_path / "r.npz", x=raster, y=np.arange(7) % 10)
    r = cli("sc-eval", "--checkpoint", rate_checkpoint, "--data", tmp_path / "r.npz", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["n_test"] == 7
    r = cli("export-vectors", "--checkpoint", rate_checkpoint, "--data", tmp_path / "r.npz", "-o", tmp_path / "v.npz")
    assert r.code == 0, r.err
    from sc_neurocore.sc.network import spike_words
    from sc_neurocore.sim.vectors import load_vectors

    assert np.array_equal(load_vectors(tmp_path / "v.npz").codes, spike_words(raster))
    np.savez(tmp_path / "t9.npz", x=np.zeros((9, 2, 64), np.uint8), y=np.zeros(2, int))
    r = cli("sc-eval", "--checkpoint", rate_checkpoint, "--data", tmp_path / "t9.npz")
    assert r.code == 2 and "T=6" in r.err
    np.savez(tmp_path / "half.npz", x=np.full((6, 2, 64), 0.5), y=np.zeros(2, int))
    r = cli("sc-eval", "--checkpoint", rate_checkpoint, "--data", tmp_path / "half.npz")
    assert r.code == 2 and "only 0 and 1" in r.err


def test_train_on_your_own_data_and_rasters(cli, tmp_path):
    """train --data: probabilities (a seeded 80/20 split) and rasters (a spike-input net, T from the file)."""
    from sc_neurocore.training.checkpoint import load_checkpoint

    rng = np.random.default_rng(9)
    x = rng.random((40, 12))
    y = (x[:, 0] > 0.5).astype(int)
    np.savez(tmp_path / "mine.npz", x=x, y=y)
    r = cli("train", "--data", tmp_path / "mine.npz", "--hidden", "6", "--epochs", "2", "--T", "4", "--no-progress",
            "-o", tmp_path / "mine.pt")
    assert r.code == 0, r.err
    assert "32 train / 8 test" in r.out
    _, meta = load_checkpoint(tmp_path / "mine.pt")
    assert meta["data_file"] == str(tmp_path / "mine.npz") and meta["test_fraction"] == 0.2
    r = cli("sc-eval", "--checkpoint", tmp_path / "mine.pt")
    assert r.code == 2 and "--data" in r.err  # the digits split is not this net's data
    r = cli("sc-eval", "--checkpoint", tmp_path / "mine.pt", "--data", tmp_path / "mine.npz", "--json")
    assert r.code == 0, r.err
    raster = (rng.random((5, 40, 12)) < x[None]).astype(np.uint8)
    np.savez(tmp_path / "spikes.npz", x=raster, y=y)
    r = cli("train", "--data", tmp_path / "spikes.npz", "--hidden", "6", "--epochs", "2", "--no-progress",
            "-o", tmp_path / "spikes.pt")
    assert r.code == 0, r.err
    _, meta = load_checkpoint(tmp_path / "spikes.pt")
    assert meta["input_encoding"] == "raster" and meta["T"] == 5
    r = cli("sc-eval", "--checkpoint", tmp_path / "spikes.pt", "--data", tmp_path / "spikes.npz", "--json")
    assert r.code == 0, r.err
    r = cli("train", "--data", tmp_path / "mine.npz", "--dataset", "digits", "-o", tmp_path / "x.pt")
    assert r.code == 2 and "not both" in r.err


def test_a_rate_coded_net_out_to_nir_and_back_stays_a_spike_input_net(rate_checkpoint, cli, tmp_path):
    pytest.importorskip("nir")
    import nir
    from sc_neurocore.export import QuantizedNet

    r = cli("export-nir", "--checkpoint", rate_checkpoint, "-o", tmp_path / "r.nir")
    assert r.code == 0, r.err
    assert nir.read(str(tmp_path / "r.nir")).metadata["input_encoding"] == "rate"
    r = cli("import-nir", tmp_path / "r.nir", "-o", tmp_path / "back.pt")
    assert r.code == 0, r.err
    assert "first layer takes spikes" in r.err
    a = json.loads(cli("sc-eval", "--checkpoint", rate_checkpoint, "--limit", "20", "--json").out)
    b = json.loads(cli("sc-eval", "--checkpoint", tmp_path / "back.pt", "--limit", "20", "--json").out)
    assert a["sc_predictions_sha"] == b["sc_predictions_sha"]
    r = cli("import-nir", tmp_path / "r.nir", "-o", tmp_path / "back.npz")
    assert r.code == 0, r.err
    assert QuantizedNet.load(tmp_path / "back.npz").spike_input
