"""The published sc-neurocore ("upstream", PyPI ``sc-neurocore``): its documented SC inference path.

Upstream (AGPL) has our import name, so it is installed apart and runs in its own interpreter::

    pip install --no-deps --target /tmp/upstream -r bench/requirements-upstream.txt

and :class:`Upstream` (``folder``, default ``$SC_NEUROCORE_UPSTREAM``) starts
``upstream_worker.py`` there with that folder first on ``PYTHONPATH``.  The net built from our
weights is upstream's ``SpikingNet.to_sc_weights(encoding="bipolar")`` +
``VectorizedSCLayer.from_exported_weights`` per layer + a float LIF loop, one image at a time; it
is inference only (:meth:`Upstream.train_epoch` raises).  The worker times its own loop (the
interpreter's start-up and imports are not in the figure).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from .base import NetSpec, Peer, Weights

__all__ = ["Upstream", "UpstreamNet", "UpstreamRun"]

WORKER = Path(__file__).resolve().with_name("upstream_worker.py")


@dataclass(frozen=True)
class UpstreamNet:
    """What the worker needs to build the net: our weights, the SC length and upstream's RNG seed."""

    spec: NetSpec
    weights: Weights
    length: int = 64
    seed: int = 42
    exact: bool = False  # each layer's expectation instead of its SC forward (the same-weights check)


@dataclass(frozen=True)
class UpstreamRun:
    counts: np.ndarray  # (B, n_out) output spike counts
    seconds: float  # the worker's loop over the images


class UpstreamError(RuntimeError):
    """The worker failed; the message is the last line of its standard error."""


class Upstream(Peer):
    key = "upstream"
    label = "upstream sc-neurocore"
    dist = "sc-neurocore"
    note = (
        'upstream sc-neurocore `to_sc_weights(encoding="bipolar")` + `VectorizedSCLayer.from_exported_weights` '
        "per layer + a float LIF loop, one image at a time"
    )

    def __init__(self, folder: str | os.PathLike | None = None, timeout: float = 1800):
        folder = folder if folder is not None else os.environ.get("SC_NEUROCORE_UPSTREAM")
        self.folder = Path(folder) if folder else None
        self.timeout = timeout

    def status(self) -> str | None:
        if self.folder is None:
            return "not run (no upstream folder: --upstream DIR or $SC_NEUROCORE_UPSTREAM)"
        if not (self.folder / "sc_neurocore").is_dir():
            return f"not installed (no sc_neurocore in {self.folder})"
        return None

    def versions(self) -> dict[str, str]:
        """``{distribution: version}`` of what is installed in the folder."""
        if self.folder is None:
            return {}
        return {d.metadata["Name"]: d.version for d in metadata.distributions(path=[str(self.folder)])}

    def version(self) -> str:
        return self.versions().get(self.dist, "-")

    def build(self, spec: NetSpec):
        raise NotImplementedError("upstream's SC path runs trained weights only: use from_weights")

    def from_weights(self, spec: NetSpec, weights: Weights, *, length: int = 64, seed: int = 42,
                     exact: bool = False) -> UpstreamNet:  # fmt: skip
        return UpstreamNet(spec, [(np.asarray(w), np.asarray(b)) for w, b in weights], length, seed, exact)

    def train_epoch(self, model, loader, opt, T: int) -> None:
        raise NotImplementedError("upstream's SC path is inference only")

    def infer(self, model: UpstreamNet, x_seq) -> np.ndarray:
        """Counts for ``x_seq`` ``(T, B, n_in)``; the input must be the same at every step (a constant current)."""
        x_seq = np.asarray(x_seq)
        if not (x_seq == x_seq[:1]).all():
            raise ValueError("the upstream peer takes a constant input over T")
        return self.run(model, x_seq[0], T=x_seq.shape[0]).counts

    def run(self, net: UpstreamNet, x, T: int = 25) -> UpstreamRun:
        """Run the worker on the images ``x`` ``(B, n_in)`` for ``T`` steps; counts and its loop's seconds."""
        arrays = {f"w{i}": np.asarray(w, dtype=np.float32) for i, (w, _) in enumerate(net.weights)}
        arrays.update({f"b{i}": np.asarray(b, dtype=np.float32) for i, (_, b) in enumerate(net.weights)})
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "net.npz"
            np.savez(path, x=np.asarray(x), **arrays)
            args = ["net", str(path), "--length", str(net.length), "--T", str(T), "--seed", str(net.seed),
                    "--beta", repr(net.spec.beta), "--theta", repr(net.spec.theta)]  # fmt: skip
            out = self._worker(args + (["--exact"] if net.exact else []), tmp)
        return UpstreamRun(np.asarray(out["counts"]), float(out["seconds"]))

    def layer_times(self, length: int = 2048, reps: int = 20) -> dict:
        """Seconds per forward of one 64 -> 128 layer: ``vectorized_forward_s``, ``rust_dense_forward_s``."""
        with tempfile.TemporaryDirectory() as tmp:
            return self._worker(["layer", "--length", str(length), "--n", str(reps)], tmp)

    def _worker(self, args: list[str], cwd: str) -> dict:
        status = self.status()
        if status is not None:
            raise UpstreamError(status)
        env = dict(os.environ, PYTHONPATH=str(self.folder))
        cmd = [sys.executable, "-P", str(WORKER), *args, "--folder", str(self.folder)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=cwd, timeout=self.timeout)
        if out.returncode != 0:
            err = out.stderr.strip().splitlines()
            raise UpstreamError(err[-1] if err else f"upstream worker exited with {out.returncode}")
        return json.loads(out.stdout.strip().splitlines()[-1])
