"""The RTL network core as a function: codes in, the RTL's integers out (:func:`run_rtl`).

``run_rtl(qnet, codes, T)`` streams the images through ``SCNetworkCore`` on Icarus or Verilator
(the network testbench of :mod:`.tb_network`, which also compares every value with the NumPy
SC model) and returns what the *RTL* produced, in the layout of
``SCNetwork.run_codes(codes, T, trace=True)`` (:class:`~sc_neurocore.sc.network.SCTrace`), so a
caller can plot or compare the two side by side.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..export import QuantizedNet

__all__ = ["RTLRun", "run_rtl"]

_TRACE_KEYS = ("sc_counts", "currents", "membranes", "spikes")


@dataclass
class RTLRun:
    """The integers the RTL produced for a batch of images (int64 arrays; lists indexed by layer).

    ``counts (B, n_output)`` output spikes over T; ``prediction (B,)``; ``cycles (B,)`` clocks of
    each image with the images streamed back to back (the first image of a batch counts from the
    clock that starts the batch); with ``trace``, per layer ``sc_counts``, ``currents``,
    ``membranes`` (after step and reset) and ``spikes``, each ``(T, B, n_l)`` as in ``SCTrace``, and
    ``states`` (per layer ``{name: (T, B, n_l)}``, the neurons' other states: ``i_syn`` of a Synaptic net)
    (empty lists without trace).  ``mismatches`` / ``first_mismatch``: the testbench's comparison
    with the NumPy SC model (0 / None when they agree).
    """

    sim: str
    counts: np.ndarray
    prediction: np.ndarray
    cycles: np.ndarray
    sc_counts: list = field(default_factory=list)
    currents: list = field(default_factory=list)
    membranes: list = field(default_factory=list)
    spikes: list = field(default_factory=list)
    states: list = field(default_factory=list)
    mismatches: int = 0
    first_mismatch: dict | None = None
    build_s: float = 0.0
    wall_s: float = 0.0

    def as_trace(self):
        """The same integers as an :class:`~sc_neurocore.sc.network.SCTrace`."""
        from ..sc.network import SCTrace

        return SCTrace(self.counts, self.prediction, list(self.sc_counts), list(self.currents),
                       list(self.membranes), list(self.spikes), list(self.states))


def check_codes(qnet: QuantizedNet, codes) -> np.ndarray:
    """``codes`` as a ``(B, n_input)`` int64 array of k-bit codes, or a ``ValueError`` that says what is wrong."""
    arr = np.asarray(codes)
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != qnet.n_input:
        raise ValueError(f"codes must have shape (images, {qnet.n_input}), not {np.shape(codes)}")
    if arr.dtype.kind not in "iu":
        raise ValueError(f"codes must be integers (k-bit input codes), not {arr.dtype}")
    top = (1 << qnet.config.prob_bits) - 1
    if arr.size and (arr.min() < 0 or arr.max() > top):
        raise ValueError(f"codes must lie in [0, {top}] (k = {qnet.config.prob_bits} bits), "
                         f"not [{arr.min()}, {arr.max()}]")
    return arr.astype(np.int64)


def check_T(T) -> int:
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T (timesteps) must be a positive integer, not {T!r}")
    return int(T)


def run_rtl(qnet: QuantizedNet, codes, T: int, *, sim: str = "verilator", parallelism=None, trace: bool = True,
            progress=None) -> RTLRun:
    """Run ``codes`` ``(B, n_input)`` through the RTL network core on ``sim``; the RTL's integers.

    ``parallelism``: ``(lanes, tlanes)`` neurons x timesteps per clock (default
    :data:`~sc_neurocore.sim.tb_network.DEFAULT_PARALLELISM`).  ``progress`` receives
    :class:`~sc_neurocore.progress.ProgressEvent` (the simulator build, then images simulated).
    Raises :class:`~sc_neurocore.sim.runner.SimulatorNotFound` when ``sim`` is not installed and
    :class:`~sc_neurocore.sim.runner.SimulationFailed` when the simulation breaks down (a
    mismatch with the model does not raise: see :attr:`RTLRun.mismatches`).
    """
    from .runner import SimulationFailed, check_simulator
    from .tb_network import run_network
    from .vectors import make_vectors

    if not isinstance(qnet, QuantizedNet):
        raise TypeError(f"qnet must be a QuantizedNet, not {type(qnet).__name__}")
    T = check_T(T)
    codes = check_codes(qnet, codes)
    if sim not in ("verilator", "icarus"):
        raise ValueError(f"sim must be 'verilator' or 'icarus', not {sim!r}")
    check_simulator(sim)
    vec = make_vectors(qnet, codes, T)
    with tempfile.TemporaryDirectory(prefix="sc_rtl_") as tmp:
        out = Path(tmp) / "rtl.npz"
        rep = run_network(vec, sim=sim, parallelism=parallelism,
                          trace=trace, check=False, progress=progress, rtl_out=out, stop_at_first=False)
        sb = rep.get("scoreboard", {})
        if not out.exists() or int(rep.get("images", 0)) != len(codes):
            raise SimulationFailed(f"{sim}: the RTL run stopped after {rep.get('images', 0)} of {len(codes)} images\n"
                                   f"{rep.get('log_tail', '')}")
        with np.load(out) as data:
            arrays = {k: np.asarray(data[k], dtype=np.int64) for k in data.files}
    n_layers = len(qnet.layers)
    per_layer = {key: [arrays[f"{key}_{li}"] for li in range(n_layers)] if trace else [] for key in _TRACE_KEYS}
    per_layer["states"] = [{name: arrays[f"state_{name}_{li}"] for name in layer.model.extra_states}
                           for li, layer in enumerate(qnet.layers)] if trace else []
    return RTLRun(sim, arrays["counts"], arrays["prediction"], arrays["cycles"], **per_layer,
                  mismatches=int(sb.get("mismatches", 0)), first_mismatch=sb.get("first_where"),
                  build_s=float(rep.get("build_s", 0.0)), wall_s=float(rep.get("run_s", 0.0)))
