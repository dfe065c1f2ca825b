"""The stochastic-computing half: the number contract and the bit-exact NumPy model.

``SCNetwork``, ``FixedPointNetwork`` and ``SCTrace`` (:mod:`.network`) are loaded on first use
(``network`` imports :mod:`sc_neurocore.export`, which imports this package).
"""

from .contract import (
    INPUT_KINDS,
    POLARITIES,
    Q8_8,
    RNG_KINDS,
    ROLE_INPUT,
    ROLE_WEIGHT,
    UQ0_8,
    FixedPoint,
    SCConfig,
    count_real_scale,
    current_scale,
    derive_seed,
    quantize_probability,
)
from .fixed import lif_step, scale_count
from .sources import LFSR_TAPS, lfsr_next, lfsr_states, sobol_values, source_seed, source_values

__all__ = [
    "INPUT_KINDS",
    "POLARITIES",
    "Q8_8",
    "RNG_KINDS",
    "ROLE_INPUT",
    "ROLE_WEIGHT",
    "UQ0_8",
    "FixedPoint",
    "SCConfig",
    "count_real_scale",
    "current_scale",
    "derive_seed",
    "quantize_probability",
    "lif_step",
    "scale_count",
    "LFSR_TAPS",
    "lfsr_next",
    "lfsr_states",
    "sobol_values",
    "source_seed",
    "source_values",
    "SCNetwork",
    "FixedPointNetwork",
    "SCTrace",
]

_LAZY = {"SCNetwork", "FixedPointNetwork", "SCTrace"}


def __getattr__(name):
    if name in _LAZY:
        from . import network

        return getattr(network, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LAZY)
