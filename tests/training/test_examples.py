import importlib.util
import runpy
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
    assert main(["--epochs", "1"]) == 2
    assert "--npz" in capsys.readouterr().err


def test_mnist_example_from_npz(tmp_path, capsys):
    import numpy as np

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "mnist.npz", x_train=rng.integers(0, 256, (64, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 64), x_test=rng.integers(0, 256, (32, 28, 28), dtype=np.uint8),
             y_test=rng.integers(0, 10, 32))
    main = load("mnist_surrogate")["main"]
    assert main(["--epochs", "1", "--T", "4", "--npz", str(tmp_path / "mnist.npz"), "--device", "cpu"]) == 0
    assert "Epoch  1" in capsys.readouterr().out
