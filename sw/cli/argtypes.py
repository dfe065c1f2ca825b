"""argparse ``type=`` converters shared by the subcommands (clear messages for bad values).

Output paths are checked here, while the arguments are parsed, so that a command that trains or
simulates for minutes cannot fail at the end because its output folder does not exist.
"""

from __future__ import annotations

import argparse
import math
import re

#: How parallelism is written on every command line (interface 4 of the helpers' notes).
PARALLELISM_SYNTAX = "LANESxTLANES (neurons x timesteps per clock, e.g. 1x16)"

_PARALLELISM_RE = re.compile(r"\s*(\d+)\s*[xX]\s*(\d+)\s*")

#: ``--input-encoding`` choices (``sc_neurocore.training.encoders.ENCODINGS``, repeated here so that building the
#: parsers imports no torch; a test holds them equal).
INPUT_ENCODINGS = ("rate", "latency", "delta")


def parse_parallelism(text) -> tuple[int, int]:
    """``"1x16"`` -> ``(1, 16)``; anything else (a bare ``"16"``, ``"1,16"``, zeros) raises ``ValueError``."""
    m = _PARALLELISM_RE.fullmatch(str(text))
    if not m:
        raise ValueError(f"parallelism takes {PARALLELISM_SYNTAX}, not {str(text)!r}")
    lanes, tlanes = int(m.group(1)), int(m.group(2))
    if lanes < 1 or tlanes < 1:
        raise ValueError(f"parallelism {text!r}: lanes and time lanes must be >= 1")
    return lanes, tlanes


def format_parallelism(par) -> str:
    """``(1, 16)`` -> ``"1x16"``."""
    lanes, tlanes = par
    return f"{lanes}x{tlanes}"


def parallelism(text: str) -> tuple[int, int]:
    try:
        return parse_parallelism(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, not {text!r}") from None


def positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def non_negative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, not {text}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, not {text}")
    return value


def finite_float(text: str) -> float:
    """Any finite number (NaN and inf refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text}")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, not {text}")
    return value


def clock_mhz(text: str):
    """A clock in MHz (a finite number > 0) or ``"auto"``."""
    return "auto" if text.strip().lower() == "auto" else positive_float(text)


def seed_or_auto(text: str):
    """An integer >= 0 or ``"auto"``."""
    return "auto" if text.strip().lower() == "auto" else non_negative_int(text)


def unit_float(text: str) -> float:
    """A number in [0, 1] (NaN refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], not {text}")
    return value


def output_file(text: str):
    """A file path whose folder exists and is writable (nothing is created)."""
    from ..fileio import check_output_path

    try:
        return check_output_path(text, what="output file")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def output_dir(text: str):
    """A folder that exists or can be created (its nearest existing ancestor is writable)."""
    from ..fileio import check_output_path

    try:
        return check_output_path(text, what="output folder", directory=True)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None

