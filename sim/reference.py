"""The regression's reference net and inputs, shipped with the package (``sim/data/``).

* ``digits_reference.npz``: a trained digits ``QuantizedNet`` (64-128-10, L = 16), made once by
  ``bench/make_sim_reference_net.py`` (``sc-neurocore train --dataset digits --epochs 10 --seed 0``,
  then ``model.to_quantized(SCConfig(length=16, ...)).save(...)``);
* ``digits_reference.json``: how it was made, and the float model's predictions on the test split
  at T = 25 (the float column of the regression, which has no torch);
* ``digits_test.npz``: the digits test split (360 images; ``pixels / 16`` are the inputs).

So the regression trains nothing and needs neither torch nor scikit-learn.
"""

from __future__ import annotations

import dataclasses
import io
import json
from importlib.resources import as_file, files

import numpy as np

from ..export import QuantizedNet

__all__ = ["digits_test", "reference_info", "reference_net", "with_source", "SOURCE_FIELDS"]

#: ``SCConfig`` fields that choose the random source: an export's integers do not depend on them
#: (``QuantizedNet.from_float`` reads ``prob_bits``, ``length``, the fixed-point formats and
#: ``scale_bits`` only), so a net exported for one source is the same net for another.
SOURCE_FIELDS = ("rng", "seed", "lfsr_width", "lfsr_kind", "lfsr_steps")


def _data(name: str):
    return files(__package__).joinpath("data", name)


def reference_net() -> QuantizedNet:
    """The shipped digits net (its source as exported; see :func:`with_source`)."""
    with as_file(_data("digits_reference.npz")) as path:  # a real file even from a zipped install
        return QuantizedNet.load(path)


def conv_reference_net() -> QuantizedNet:
    """The shipped conv digits net (``1x8x8-8c3-pool2-10``, ``bench/make_sim_reference_net.py --net conv``)."""
    with as_file(_data("digits_conv_reference.npz")) as path:
        return QuantizedNet.load(path)


def conv_reference_info() -> dict:
    """Provenance of :func:`conv_reference_net` and its float predictions (test split, T = 25)."""
    return json.loads(_data("digits_conv_reference.json").read_text())


def reference_info() -> dict:
    """Provenance of :func:`reference_net` and its float predictions (``float_prediction``, test split, T = 25)."""
    return json.loads(_data("digits_reference.json").read_text())


def digits_test() -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)``: the digits test split, pixels in [0, 1] as float64 ``(360, 64)``, labels ``(360,)``."""
    with np.load(io.BytesIO(_data("digits_test.npz").read_bytes())) as data:
        return data["pixels"].astype(np.float64) / 16.0, data["labels"].astype(np.int64)


def with_source(qnet: QuantizedNet, **source) -> QuantizedNet:
    """``qnet`` for another random source (``rng=``, ``seed=``, ...): the same integers, another config.

    Exact because no integer of an export depends on the source (:data:`SOURCE_FIELDS`); any other
    field raises ``ValueError`` (re-export from the float model for those).
    """
    other = set(source) - set(SOURCE_FIELDS)
    if other:
        raise ValueError(f"only the source ({', '.join(SOURCE_FIELDS)}) can change on an export, not {sorted(other)}")
    return dataclasses.replace(qnet, config=qnet.config.replace(**source))
