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
