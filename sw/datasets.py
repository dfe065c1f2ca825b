"""Datasets used by examples, benchmarks and the CLI (NumPy only; no downloads for digits).

``load_digits_split()`` is the documentation's split of scikit-learn's 8x8 digits:
pixels / 16 in [0, 1], ``train_test_split(test_size=0.2, random_state=42)``,
1437 training and 360 test images.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DATASETS", "load_digits_split", "load_dataset"]

DATASETS = ("digits",)


def load_digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_tr, X_te, y_tr, y_te)``: float32 pixels in [0, 1] (N, 64) and int64 labels."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the digits dataset needs scikit-learn: pip install 'sc-neurocore[training]'") from exc
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, random_state=42)
    return x_tr, x_te, y_tr, y_te


def load_dataset(name: str, split: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of one split (``"train"`` or ``"test"``) of a named dataset."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    x_tr, x_te, y_tr, y_te = load_digits_split()
    return (x_tr, y_tr) if split == "train" else (x_te, y_te)
