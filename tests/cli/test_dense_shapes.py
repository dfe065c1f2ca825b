"""A checkpoint of any dense shape (per-layer widths, beta and theta) is accepted by every command.

The net is 64 -> 12 -> 7 -> 10 with its own beta and theta per layer (``SpikingNet(sizes=...)``).
``build`` and ``infer`` are run until the step after loading the net (a missing yosys, a missing
serial port): what they would do next is the same for every net and tested elsewhere.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

SIZES = [64, 12, 7, 10]


@pytest.fixture(scope="module")
def unequal_checkpoint(tmp_path_factory):
    from sc_neurocore.training import SpikingNet, save_checkpoint

    torch.manual_seed(7)
    model = SpikingNet(sizes=SIZES, beta=[0.9, 0.7, 0.8], threshold=[1.0, 0.6, 0.8])
    path = tmp_path_factory.mktemp("dense") / "net.pt"
    save_checkpoint(model, path, dataset="digits", T=4)
    return path


def _ok(r):
    assert "Traceback" not in r.err, r.err
    assert r.code == 0, r.err
    return r


def test_sc_eval_export_vectors_verify_and_report_take_it(unequal_checkpoint, tmp_path, cli):
    ck = str(unequal_checkpoint)
    res = json.loads(_ok(cli("sc-eval", "--checkpoint", ck, "--limit", "20", "--json")).out)
    assert res["n_test"] == 20 and res["T"] == 4

    _ok(cli("export", "--checkpoint", ck, "-o", tmp_path / "e.npz"))
    from sc_neurocore.export import QuantizedNet

    q = QuantizedNet.load(tmp_path / "e.npz")
    assert q.sizes == tuple(SIZES)
    assert [layer.beta_q for layer in q.layers] == [230, 179, 205]  # floor(beta * 256 + 0.5)
    assert [layer.threshold_q for layer in q.layers] == [256, 154, 205]

    _ok(cli("export-vectors", "--checkpoint", ck, "--limit", "2", "-o", tmp_path / "v.npz"))
    with np.load(tmp_path / "v.npz") as v:
        assert len(v.files) > 0
    _ok(cli("verify", "--checkpoint", ck, "--sim", "none", "--limit", "2"))
    _ok(cli("report", "--checkpoint", ck, "--sim", "none", "--no-progress", "-o", tmp_path / "rep"))
    assert (tmp_path / "rep" / "index.html").is_file()


def test_export_verilog_takes_it(unequal_checkpoint, tmp_path, cli):
    pytest.importorskip("amaranth")
    _ok(cli("export-verilog", "--checkpoint", str(unequal_checkpoint), "--unit", "net", "-o", tmp_path / "n.v"))
    assert "module top" in (tmp_path / "n.v").read_text()


def test_build_and_infer_load_it(unequal_checkpoint, tmp_path, cli, monkeypatch):
    pytest.importorskip("amaranth_boards")
    ck = str(unequal_checkpoint)
    monkeypatch.setenv("YOSYS", "/nonexistent/yosys")
    r = cli("build", "--board", "icebreaker", "--checkpoint", ck, "-o", tmp_path / "b")
    assert r.code == 3 and "yosys" in r.err and "Traceback" not in r.err, r.err  # past the net, at the tools
    r = cli("infer", "--port", tmp_path / "ttyNOPE", "--checkpoint", ck, "--limit", "2")
    assert r.code == 2 and "is the board attached" in r.err, r.err  # past the net, at the port


def test_own_data_file_in_the_commands(unequal_checkpoint, tmp_path, cli):
    """--data FILE.npz (issue 12, item 5): the same figures as the dataset's images given as a file."""
    from sc_neurocore.datasets import load_dataset

    x, y = load_dataset("digits", "test")
    np.savez(tmp_path / "mine.npz", x=x[:20], y=y[:20])
    ck = str(unequal_checkpoint)
    a = json.loads(_ok(cli("sc-eval", "--checkpoint", ck, "--data", tmp_path / "mine.npz", "--json")).out)
    b = json.loads(_ok(cli("sc-eval", "--checkpoint", ck, "--limit", "20", "--json")).out)
    assert a["n_test"] == 20 and a["dataset"] == str(tmp_path / "mine.npz")
    for key in ("float_accuracy", "fixed_accuracy", "sc_accuracy", "sc_predictions_sha"):
        assert a[key] == b[key], key
    _ok(cli("export-vectors", "--checkpoint", ck, "--data", tmp_path / "mine.npz", "--limit", "3",
            "-o", tmp_path / "v.npz"))
    r = _ok(cli("verify", "--checkpoint", ck, "--data", tmp_path / "mine.npz", "--sim", "none", "--limit", "3"))
    assert "agreement with float" in r.out
