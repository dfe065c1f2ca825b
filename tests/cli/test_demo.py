"""``sc-neurocore demo``: the main job, with the RTL step left out (the co-simulation tests cover it)."""

from __future__ import annotations

import numpy as np
import pytest
from sc_neurocore.cli import main
from sc_neurocore.export import QuantizedNet

pytest.importorskip("torch")


def test_demo_trains_exports_and_evaluates(tmp_path, capsys):
    out = tmp_path / "demo"
    rc = main(["demo", "--epochs", "3", "--hidden", "32", "--T", "10", "--sim", "none", "-o", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "fixed-point accuracy" in text and "SC          accuracy" in text and "RTL check skipped" in text
    acc = float(text.split("float test accuracy")[1].split("%")[0])
    assert acc > 50.0  # 10 classes: chance is 10 %
    qnet = QuantizedNet.load(out / "digits_export.npz")
    assert qnet.sizes == (64, 32, 10) and qnet.config.length == 16 and qnet.config.rng == "sobol"
    assert np.abs(qnet.layers[0].weight_q).max() == qnet.config.prob_max  # s = max|W| maps to 2**k - 1
    assert (out / "digits.pt").is_file()


def test_demo_rejects_bad_arguments(tmp_path):
    with pytest.raises(SystemExit, match="--epochs"):
        main(["demo", "--epochs", "0", "--sim", "none", "-o", str(tmp_path)])
