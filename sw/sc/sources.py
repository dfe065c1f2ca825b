"""Random sources for stochastic number generators: maximal-length LFSRs and a Sobol source.

Both sides of the chain use these definitions: the NumPy model calls the functions here,
and the gateware (``sc_neurocore.hw.rng``) is generated from the same table and tested
against :func:`lfsr_states` / :func:`sobol_values`.

LFSR (width ``n``, taps ``(n, a, b, ...)`` from :data:`LFSR_TAPS`, state never 0)

* Fibonacci, shift left: ``fb = parity(state & tap_mask)``; ``state' = ((state << 1) | fb) & (2**n - 1)``
  where ``tap_mask`` has bit ``t-1`` set for each tap ``t``.
* Galois, shift right: ``state' = (state >> 1) ^ (tap_mask if state & 1 else 0)``.
* Role ``"weight"`` sources use the reciprocal polynomial (taps ``n - t`` for ``t < n``,
  plus ``n``), also primitive, so input and weight streams come from different recurrences.

The k-bit random number of SC cycle ``c`` is the low ``k`` bits of the state ``state_c``, where
``state_0`` is the seed and ``state_{c+1}`` is ``state_c`` advanced ``lfsr_steps`` shifts.

Sobol (k-bit, index ``i`` = SC cycle counted from the image start, taken mod ``2**k``)

``x_i = (XOR of v_j over the set bits j of i) ^ mask``.  Dimension 0 (inputs):
``v_j = 2**(k-1-j)`` (bit reversal, van der Corput); dimension 1 (weights):
``v_0 = 2**(k-1)``, ``v_j = v_{j-1} ^ (v_{j-1} >> 1)`` (polynomial x + 1).  ``mask`` is a
k-bit digital shift, the source's derived seed.  Each aligned block of ``2**m`` indices
is a (0, m, 2)-net of the two dimensions: every k-bit value appears once per ``2**k``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .contract import ROLE_INPUT, ROLE_WEIGHT, SCConfig, derive_seed

__all__ = [
    "LFSR_TAPS",
    "lfsr_tap_mask",
    "lfsr_next",
    "lfsr_states",
    "sobol_directions",
    "sobol_values",
    "source_seed",
    "source_values",
]

#: One maximal-length (primitive) polynomial per width: taps of x^n + sum(x^t) + 1.
LFSR_TAPS: dict[int, tuple[int, ...]] = {
    4: (4, 3),
    5: (5, 3),
    6: (6, 5),
    7: (7, 6),
    8: (8, 6, 5, 4),
    9: (9, 5),
    10: (10, 7),
    11: (11, 9),
    12: (12, 6, 4, 1),
    13: (13, 4, 3, 1),
    14: (14, 5, 3, 1),
    15: (15, 14),
    16: (16, 15, 13, 4),
    17: (17, 14),
    18: (18, 11),
    19: (19, 6, 2, 1),
    20: (20, 17),
    21: (21, 19),
    22: (22, 21),
    23: (23, 18),
    24: (24, 23, 22, 17),
    25: (25, 22),
    26: (26, 6, 2, 1),
    27: (27, 5, 2, 1),
    28: (28, 25),
    29: (29, 27),
    30: (30, 6, 4, 1),
    31: (31, 28),
    32: (32, 22, 2, 1),
}


def _check_width(width: int) -> None:
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width not in LFSR_TAPS:
        raise ValueError(f"LFSR width must be one of {min(LFSR_TAPS)}..{max(LFSR_TAPS)}, not {width!r}")


def lfsr_taps(width: int, reciprocal: bool = False) -> tuple[int, ...]:
    """The taps of ``width``, or of its reciprocal polynomial."""
    _check_width(width)
    taps = LFSR_TAPS[width]
    if not reciprocal:
        return taps
    return tuple(sorted({width} | {width - t for t in taps if t != width}, reverse=True))


def lfsr_tap_mask(width: int, reciprocal: bool = False) -> int:
    """Bit ``t-1`` set for each tap ``t`` (used by both the Fibonacci and Galois forms)."""
    mask = 0
    for t in lfsr_taps(width, reciprocal):
        mask |= 1 << (t - 1)
    return mask


def lfsr_next(state: int, width: int, kind: str = "fibonacci", tap_mask: int | None = None) -> int:
    """One shift of the LFSR (see the module docstring)."""
    if tap_mask is None:
        tap_mask = lfsr_tap_mask(width)
    full = (1 << width) - 1
    if kind == "fibonacci":
        fb = (state & tap_mask).bit_count() & 1
        return ((state << 1) | fb) & full
    if kind == "galois":
        return (state >> 1) ^ (tap_mask if state & 1 else 0)
    raise ValueError(f"LFSR kind must be 'fibonacci' or 'galois', not {kind!r}")


@lru_cache(maxsize=256)
def _lfsr_states_cached(seed: int, width: int, kind: str, n: int, steps: int, reciprocal: bool) -> np.ndarray:
    mask = lfsr_tap_mask(width, reciprocal)
    out = np.empty(n, dtype=np.uint64)
    s = seed
    for i in range(n):
        out[i] = s
        for _ in range(steps):
            s = lfsr_next(s, width, kind, mask)
    out.setflags(write=False)
    return out


def lfsr_states(
    seed: int, width: int, n: int, *, kind: str = "fibonacci", steps: int = 1, reciprocal: bool = False
) -> np.ndarray:
    """``n`` successive states (uint64, read-only), starting with ``seed``, ``steps`` shifts apart."""
    _check_width(width)
    if kind not in ("fibonacci", "galois"):
        raise ValueError(f"LFSR kind must be 'fibonacci' or 'galois', not {kind!r}")
    if not isinstance(seed, (int, np.integer)) or not 0 < seed < (1 << width):
        raise ValueError(f"LFSR seed must be in [1, 2**{width} - 1] (never 0), not {seed!r}")
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer, not {n!r}")
    if not isinstance(steps, (int, np.integer)) or not 1 <= steps <= width:
        raise ValueError(f"steps must be in [1, {width}], not {steps!r}")
    return _lfsr_states_cached(int(seed), int(width), kind, int(n), int(steps), bool(reciprocal))


@lru_cache(maxsize=64)
def sobol_directions(bits: int, dimension: int) -> tuple[int, ...]:
    """The ``bits`` direction numbers ``v_0 .. v_{bits-1}`` of Sobol dimension 0 or 1."""
    if not 1 <= bits <= 32:
        raise ValueError(f"Sobol bits must be in [1, 32], not {bits!r}")
    if dimension == 0:
        return tuple(1 << (bits - 1 - j) for j in range(bits))
    if dimension == 1:
        v = [1 << (bits - 1)]
        for _ in range(1, bits):
            v.append(v[-1] ^ (v[-1] >> 1))
        return tuple(v)
    raise ValueError(f"Sobol dimension must be 0 (inputs) or 1 (weights), not {dimension!r}")


def sobol_values(n: int, bits: int, dimension: int, mask: int = 0, start: int = 0) -> np.ndarray:
    """Sobol numbers for indices ``start .. start+n-1`` (index taken mod ``2**bits``), uint64."""
    dirs = sobol_directions(bits, dimension)
    if not 0 <= mask < (1 << bits):
        raise ValueError(f"Sobol mask must be a {bits}-bit value, not {mask!r}")
    idx = (np.arange(start, start + n, dtype=np.uint64)) & np.uint64((1 << bits) - 1)
    out = np.full(n, mask, dtype=np.uint64)
    for j, v in enumerate(dirs):
        out ^= np.where((idx >> np.uint64(j)) & np.uint64(1), np.uint64(v), np.uint64(0))
    return out


def source_seed(config: SCConfig, layer: int, role: int) -> int:
    """The derived seed of a source: an LFSR start state, or a Sobol digital-shift mask."""
    if config.rng == "lfsr":
        return derive_seed(config.seed, layer, role, config.lfsr_width, nonzero=True)
    return derive_seed(config.seed, layer, role, config.prob_bits, nonzero=False)


def source_values(config: SCConfig, layer: int, role: int, n_cycles: int) -> np.ndarray:
    """The k-bit random numbers of the first ``n_cycles`` SC cycles of an image (uint64).

    Sources restart at each image, so this one array serves every image: timestep ``t``
    of a layer uses entries ``t*L .. (t+1)*L - 1``.
    """
    if role not in (ROLE_INPUT, ROLE_WEIGHT):
        raise ValueError(f"role must be ROLE_INPUT (0) or ROLE_WEIGHT (1), not {role!r}")
    seed = source_seed(config, layer, role)
    if config.rng == "lfsr":
        states = lfsr_states(
            seed,
            config.lfsr_width,
            n_cycles,
            kind=config.lfsr_kind,
            steps=config.lfsr_steps,
            reciprocal=(role == ROLE_WEIGHT),
        )
        return states & np.uint64(config.prob_max)
    return sobol_values(n_cycles, config.prob_bits, role, mask=seed)
