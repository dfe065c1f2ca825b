"""The functions an equation may call: exact ones (``min``, ``max``, ``abs``, ``clip``) and the
non-linear ones that become lookup tables over a declared input range (``exp``, ``log``, ...).

One table (:data:`LUT_FUNCTIONS`) gives each non-linear function's float64 NumPy form (what the
float model, the constant folder and the table builder all call) and the interval of inputs it
accepts.  No imports of ours.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["EXACT_FUNCTIONS", "LUT_FUNCTIONS", "KNOWN_FUNCTIONS", "lut_eval"]

#: Exact functions (no table): name -> number of arguments.
EXACT_FUNCTIONS = {"min": 2, "max": 2, "abs": 1, "clip": 3}


def _sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free logistic


#: Non-linear functions (a table over the declared range): name -> (float64 function, (lo, hi) it accepts).
LUT_FUNCTIONS = {
    "exp": (np.exp, (-math.inf, math.inf)),
    "log": (np.log, (0.0, math.inf)),
    "sqrt": (np.sqrt, (0.0, math.inf)),
    "tanh": (np.tanh, (-math.inf, math.inf)),
    "sigmoid": (_sigmoid, (-math.inf, math.inf)),
    "sin": (np.sin, (-math.inf, math.inf)),
    "cos": (np.cos, (-math.inf, math.inf)),
}

KNOWN_FUNCTIONS = tuple(EXACT_FUNCTIONS) + tuple(LUT_FUNCTIONS)


def lut_eval(name: str, x):
    """``name(x)`` in float64 (``x`` a number or array)."""
    fn = LUT_FUNCTIONS[name][0]
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return fn(np.asarray(x, dtype=np.float64))
