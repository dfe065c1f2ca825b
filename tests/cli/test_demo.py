"""``sc-neurocore demo`` without a simulator (the tour test runs it with Verilator)."""

from __future__ import annotations

import numpy as np
import pytest
from sc_neurocore.export import QuantizedNet
from sc_neurocore.sc.contract import SCConfig

pytest.importorskip("torch")


def test_demo_trains_exports_and_evaluates(tmp_path, cli):
    out = tmp_path / "demo"
    r = cli("demo", "--epochs", "3", "--hidden", "32", "--T", "10", "--sim", "none", "-o", out)
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 5 and max(len(line) for line in table) <= 100  # header, rule, float, fixed, SC
    assert f"wrote {out / 'digits.pt'}" in r.out and f"wrote {out / 'digits_export.npz'}" in r.out
    assert "RTL check skipped (--sim none)" in r.out
    row = {line.split("|")[1].strip(): line for line in lines if line.startswith("| ")}
    assert {"float", "fixed-point", "SC"} <= set(row)
    acc = float(row["float"].split("|")[3].strip().rstrip(" %"))
    assert acc > 50.0  # 10 classes: chance is 10 %
    qnet = QuantizedNet.load(out / "digits_export.npz")
    default = SCConfig()
    assert qnet.sizes == (64, 32, 10) and qnet.config == default  # one default source: SCConfig()
    assert np.abs(qnet.layers[0].weight_q).max() == qnet.config.prob_max  # s = max|W| maps to 2**k - 1
    assert (out / "digits.pt").is_file()


def test_demo_trains_the_same_net_as_train(tmp_path, cli):
    """Same settings, same net: demo and train share one training loop (and the simulator build cache)."""
    from sc_neurocore.training.checkpoint import load_checkpoint

    assert cli("demo", "--epochs", "1", "--hidden", "8", "--sim", "none", "-o", tmp_path / "d").code == 0
    assert cli("train", "--epochs", "1", "--hidden", "8", "--no-progress", "-o", tmp_path / "t.pt").code == 0
    a, _ = load_checkpoint(tmp_path / "d" / "digits.pt")
    b, _ = load_checkpoint(tmp_path / "t.pt")
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and np.array_equal(va.numpy(), vb.numpy()), ka
