"""Optional compiled LIF loops for the CPU: a few lines of C built once with the system compiler.

The fused kernel (:mod:`~sc_neurocore.training.lif_kernel`) spends its CPU time in the step
loop: NumPy or torch need four or five whole-array passes per step.  The C loop below does one
pass per step, element by element (storing ``u - theta``, what the backward pass needs, when
``x_out`` is given), with the same arithmetic in the same order as the NumPy loop and the generic
cell (``d = beta * v; u = d + I`` -- no fused multiply-add, ``-ffp-contract=off``), so its spikes
and membranes equal the NumPy path's bit for bit.

The library is compiled on first use with ``$CC`` (else ``cc``/``gcc``), no torch headers, and
cached under ``$SC_NEUROCORE_CACHE`` (default ``~/.cache/sc_neurocore``), keyed by a hash of the
source and flags; it is called through :mod:`ctypes` on the tensors' data pointers.  Without a
compiler, or with ``SC_NEUROCORE_NATIVE=0``, :func:`library` returns ``None`` and the NumPy path
runs instead.  :data:`status` says which happened.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["library", "status", "SOURCE"]

SOURCE = r"""
#include <stddef.h>
/* One LIF step over m neurons; the body vectorises (see FLAGS). */
#define LIF_STEP(T_)                                                                       \
    for (long i = 0; i < m; i++) {                                                         \
        T_ d = beta * prev[i];                                                             \
        T_ x = d + in[i];                                                                  \
        T_ sp = x > theta ? (T_)1 : (T_)0;                                                 \
        u[i] = x - theta;                                                                  \
        s[i] = sp;                                                                         \
        v[i] = x - sp * theta;                                                             \
    }
#define LIF_FORWARD(NAME, T_)                                                              \
void NAME(const T_ *restrict cur, long cur_step, const T_ *restrict v0, T_ *restrict x_out, \
          T_ *restrict s_out, T_ *restrict v_out, T_ *restrict scratch, long steps, long m,  \
          T_ beta, T_ theta)                                                               \
{                                                                                          \
    for (long t = 0; t < steps; t++) {                                                     \
        const T_ *restrict in = cur + t * cur_step;                                        \
        const T_ *restrict prev = t ? v_out + (t - 1) * m : v0;                            \
        T_ *restrict s = s_out + t * m;                                                    \
        T_ *restrict v = v_out + t * m;                                                    \
        T_ *restrict u = x_out ? x_out + t * m : scratch;                                  \
        LIF_STEP(T_)                                                                       \
    }                                                                                      \
}
#define LIF_REVERSE(NAME, T_)                                                              \
void NAME(T_ *restrict r, long steps, long m, T_ beta)                                     \
{                                                                                          \
    for (long t = steps - 2; t >= 0; t--) {                                                \
        T_ *restrict a = r + t * m;                                                        \
        const T_ *restrict b = r + (t + 1) * m;                                            \
        for (long i = 0; i < m; i++) { T_ d = beta * b[i]; a[i] = a[i] + d; }              \
    }                                                                                      \
}
LIF_FORWARD(lif_forward_f32, float)
LIF_FORWARD(lif_forward_f64, double)
LIF_REVERSE(lif_reverse_f32, float)
LIF_REVERSE(lif_reverse_f64, double)
"""

#: ``-fno-trapping-math`` lets the compare become a vector blend (it changes no value, only the
#: floating-point exception flags); ``-ffp-contract=off`` keeps multiply and add separately rounded.
FLAGS = ["-O3", "-ffp-contract=off", "-fno-trapping-math", "-shared", "-fPIC"]

#: ``"not loaded"``, ``"loaded <path>"``, ``"disabled (...)"`` or ``"unavailable (...)"``.
status = "not loaded"
_lib = None
_tried = False


def _cache_dir() -> Path:
    root = os.environ.get("SC_NEUROCORE_CACHE")
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sc_neurocore"


def _compiler() -> str | None:
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return name
    return None


def _build(path: Path, compiler: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        src = Path(tmp) / "lif.c"
        src.write_text(SOURCE)
        out = Path(tmp) / path.name
        subprocess.run([compiler, *FLAGS, "-o", str(out), str(src)], check=True, capture_output=True, timeout=120)
        os.replace(out, path)  # atomic: concurrent builders each finish with a complete file


def _bind(lib) -> None:
    c_long, ptr = ctypes.c_long, ctypes.c_void_p
    for suffix, real in (("f32", ctypes.c_float), ("f64", ctypes.c_double)):
        fwd = getattr(lib, f"lif_forward_{suffix}")
        fwd.argtypes = [ptr, c_long, ptr, ptr, ptr, ptr, ptr, c_long, c_long, real, real]
        fwd.restype = None
        rev = getattr(lib, f"lif_reverse_{suffix}")
        rev.argtypes = [ptr, c_long, c_long, real]
        rev.restype = None


def library():
    """The loaded ``ctypes`` library, or ``None`` (see :data:`status`)."""
    global _lib, _tried, status
    if _tried:
        return _lib
    _tried = True
    if os.environ.get("SC_NEUROCORE_NATIVE", "1") == "0":
        status = "disabled (SC_NEUROCORE_NATIVE=0)"
        return None
    compiler = _compiler()
    if compiler is None:
        status = "unavailable (no C compiler)"
        return None
    digest = hashlib.sha256((SOURCE + " ".join(FLAGS)).encode()).hexdigest()[:16]
    path = _cache_dir() / f"lif_{digest}.so"
    try:
        if not path.exists():
            _build(path, compiler)
        lib = ctypes.CDLL(str(path))
        _bind(lib)
    except (OSError, subprocess.SubprocessError, AttributeError) as exc:
        status = f"unavailable ({type(exc).__name__}: {exc})"
        return None
    _lib = lib
    status = f"loaded {path}"
    return _lib
