"""The regression's reference net (package data), its source switch, and its command line."""

import subprocess
import sys

import numpy as np
import pytest
from sc_neurocore.export import QuantizedNet
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.sim.reference import SOURCE_FIELDS, digits_test, reference_info, reference_net, with_source


def test_export_integers_do_not_depend_on_the_source():
    """What with_source relies on: exporting one float net for two sources gives the same integers."""
    rng = np.random.default_rng(0)
    floats = ([rng.normal(size=(5, 4)), rng.normal(size=(3, 5))], [rng.normal(size=5), None], [0.8, 0.9], [1.0, 0.7])
    a = QuantizedNet.from_float(*floats, SCConfig(length=8))
    b = QuantizedNet.from_float(*floats, SCConfig(length=8, rng="sobol", seed=7, lfsr_width=12, lfsr_kind="galois",
                                                  lfsr_steps=3))
    for la, lb in zip(a.layers, b.layers, strict=True):
        for f in ("weight_q", "bias_q"):
            np.testing.assert_array_equal(getattr(la, f), getattr(lb, f))
        for f in ("beta_q", "threshold_q", "scale_mult", "scale_shift", "fxp_mult", "fxp_shift"):
            assert getattr(la, f) == getattr(lb, f), f
    moved = with_source(a, rng="sobol", seed=7, lfsr_width=12, lfsr_kind="galois", lfsr_steps=3)
    assert moved.config == b.config and moved.layers is a.layers
    with pytest.raises(ValueError, match="only the source"):
        with_source(a, length=16)
    assert set(SOURCE_FIELDS) <= set(SCConfig.__dataclass_fields__)


def test_reference_net_and_inputs_ship_with_the_package():
    qnet = reference_net()
    assert qnet.sizes == (64, 128, 10) and qnet.config.length == 16
    x, y = digits_test()
    assert x.shape == (360, 64) and y.shape == (360,) and 0 <= x.min() and x.max() <= 1
    assert np.array_equal(np.unique(y), np.arange(10))
    info = reference_info()
    pred = np.asarray(info["float_prediction"])
    assert pred.shape == (360,) and info["T"] == 25
    assert info["float_accuracy"] == pytest.approx(np.mean(pred == y)) and info["float_accuracy"] > 0.9


def test_the_conv_reference_net_ships_with_the_package():
    from sc_neurocore.sim.reference import conv_reference_info, conv_reference_net

    qnet = conv_reference_net()
    assert qnet.describe() == "1x8x8-8c3-pool2-10" and qnet.layers[0].conv is not None
    _, y = digits_test()
    info = conv_reference_info()
    pred = np.asarray(info["float_prediction"])
    assert pred.shape == (360,) and info["T"] == 25 and info["shape"] == qnet.describe()
    assert info["float_accuracy"] == pytest.approx(np.mean(pred == y)) and info["float_accuracy"] > 0.9


def test_regression_imports_no_torch_training_or_cli():
    code = ("import sys, sc_neurocore.sim.regression, sc_neurocore.sim.bench, sc_neurocore.sim.verify, "
            "sc_neurocore.sim.rtl; bad = [m for m in sys.modules if m == 'torch' or m == 'sklearn' or "
            "m.startswith(('sc_neurocore.training', 'sc_neurocore.cli', 'sc_neurocore.boards'))]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("argv, message", [
    (["--T", "0"], "--T must be >= 1"),
    (["--limit", "-1"], "--limit must be >= 0"),
    (["--export", "/nonexistent/net.npz"], "nonexistent"),
    (["--report", "/nonexistent/dir/r.md"], "nonexistent"),
])
def test_regression_bad_usage_exits_2(argv, message, capsys):
    from sc_neurocore.sim.regression import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
