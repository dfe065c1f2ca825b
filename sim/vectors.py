"""Test vectors: a QuantizedNet, input codes, and the NumPy model's expected integers, in one ``.npz``.

Written by ``sc-neurocore export-vectors`` and by the regression; read by the network
testbench (:mod:`sc_neurocore.sim.tb_network`).  The file is self-contained (no torch
needed to read it) and versioned: :func:`load_vectors` refuses another schema.

Layout (schema :data:`VECTORS_SCHEMA`), every array an integer array:

* ``meta``: UTF-8 JSON (``schema``, ``T``, ``n_images``, ``sizes``, ``dataset``, ``split``,
  ``source`` and free-form provenance);
* ``qnet``: the bytes of :meth:`QuantizedNet.save` (its own schema is checked too);
* ``codes (B, n_input)``: k-bit input codes; ``labels (B,)`` (-1 when unknown);
* expected, from ``SCNetwork.run_codes(codes, T, trace=True)``: ``counts (B, n_output)``,
  ``prediction (B,)`` and per layer ``l``: ``sc_counts_l``, ``currents_l``, ``membranes_l``,
  ``spikes_l``, each ``(T, B, n_l)``, and for each state of the layer's neurons beyond the membrane
  (``SCTrace.states``; schema 2) ``state_<name>_l`` (``state_i_syn_0`` for a Synaptic layer).

Schema 1 files (LIF nets only, no ``state_*`` entries) are read too.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..export import QuantizedNet
from ..fileio import atomic_output
from ..sc.network import SCNetwork, SCTrace

__all__ = ["VECTORS_SCHEMA", "Vectors", "make_vectors", "save_vectors", "load_vectors", "qnet_digest"]

#: Version of the vector file layout; bump on any change (2: ``state_<name>_<l>`` entries).
VECTORS_SCHEMA = 2
#: Schemas :func:`load_vectors` reads.
READ_VECTORS_SCHEMAS = (1, 2)
_TRACE_NAMES = ("sc_counts", "currents", "membranes", "spikes")


@dataclass
class Vectors:
    """Everything one co-simulation run needs: the net, the inputs, the model's integers."""

    qnet: QuantizedNet
    codes: np.ndarray
    T: int
    expected: SCTrace
    labels: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    @property
    def n_images(self) -> int:
        return int(self.codes.shape[0])

    def subset(self, start: int, stop: int) -> Vectors:
        """Images ``start .. stop-1`` (expected arrays sliced along the batch axis)."""
        e = self.expected
        sub = SCTrace(counts=e.counts[start:stop], prediction=e.prediction[start:stop])
        for name in _TRACE_NAMES:
            setattr(sub, name, [a[:, start:stop] for a in getattr(e, name)])
        sub.states = [{k: a[:, start:stop] for k, a in st.items()} for st in e.states]
        labels = None if self.labels is None else self.labels[start:stop]
        return Vectors(self.qnet, self.codes[start:stop], self.T, sub, labels, dict(self.meta))


def make_vectors(qnet: QuantizedNet, codes, T: int, labels=None, *, faults=None, **meta) -> Vectors:
    """Run the NumPy SC model on ``codes`` (``(B, n_input)`` k-bit integers) and keep its trace (under ``faults``,
    a :class:`~sc_neurocore.sc.faults.FaultModel`, if given: the expected integers of a fault build)."""
    if not isinstance(qnet, QuantizedNet):
        raise TypeError(f"qnet must be a QuantizedNet, not {type(qnet).__name__}")
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.dtype.kind not in "iu":
        raise ValueError(f"codes must be a 2-D integer array (images, inputs), not {codes.dtype} {codes.shape}")
    expected = SCNetwork.from_quantized(qnet).run_codes(codes, T, trace=True, faults=faults)
    labels = None if labels is None else np.asarray(labels, dtype=np.int64).reshape(-1)
    if labels is not None and labels.shape[0] != codes.shape[0]:
        raise ValueError(f"{labels.shape[0]} labels for {codes.shape[0]} images")
    return Vectors(qnet, codes.astype(np.int64), int(T), expected, labels, dict(meta))


def _qnet_bytes(qnet: QuantizedNet) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "qnet.npz"
        qnet.save(path)
        return path.read_bytes()


def _qnet_from_bytes(raw: bytes) -> QuantizedNet:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "qnet.npz"
        path.write_bytes(raw)
        return QuantizedNet.load(path)


def qnet_digest(qnet: QuantizedNet) -> str:
    """A stable hash of a net's integers and config (for build caches)."""
    import hashlib
    from dataclasses import asdict

    h = hashlib.sha256(json.dumps(asdict(qnet.config), sort_keys=True, default=str).encode())
    for layer in qnet.layers:
        h.update(np.ascontiguousarray(layer.weight_q, dtype=np.int64).tobytes())
        h.update(np.ascontiguousarray(layer.bias_q, dtype=np.int64).tobytes())
        h.update(repr((layer.beta_q, layer.threshold_q, layer.input_kind, layer.scale_mult,
                       layer.scale_shift)).encode())
        if layer.reset != "subtract" or layer.reset_q is not None:  # absent: the digests of older nets stay
            h.update(repr((layer.reset, layer.reset_q)).encode())
        if layer.neuron != "lif":
            h.update(repr((layer.neuron, sorted(layer.neuron_params.items()))).encode())
        if layer.recurrent:
            h.update(b"recurrent" + np.ascontiguousarray(layer.recurrent_q, dtype=np.int64).tobytes())
    return h.hexdigest()


def _small(a: np.ndarray) -> np.ndarray:
    """Store in the narrowest signed type that holds the values exactly."""
    a = np.asarray(a, dtype=np.int64)
    for dt in (np.int8, np.int16, np.int32):
        info = np.iinfo(dt)
        if a.size == 0 or (a.min() >= info.min and a.max() <= info.max):
            return a.astype(dt)
    return a


def save_vectors(vectors: Vectors, path) -> Path:
    """Write ``vectors`` (see the module docstring); returns the path."""
    path = Path(path)
    e = vectors.expected
    if not e.sc_counts:
        raise ValueError("vectors need the model's per-timestep trace (run with trace=True)")
    meta = dict(vectors.meta)
    meta.update(
        schema=VECTORS_SCHEMA,
        T=int(vectors.T),
        n_images=vectors.n_images,
        sizes=list(vectors.qnet.sizes),
        n_layers=len(vectors.qnet.layers),
    )
    arrays = {
        "meta": np.frombuffer(json.dumps(meta, default=str).encode(), dtype=np.uint8),
        "qnet": np.frombuffer(_qnet_bytes(vectors.qnet), dtype=np.uint8),
        "codes": _small(vectors.codes),
        "labels": _small(np.full(vectors.n_images, -1) if vectors.labels is None else vectors.labels),
        "counts": _small(e.counts),
        "prediction": _small(e.prediction),
    }
    for name in _TRACE_NAMES:
        for li, a in enumerate(getattr(e, name)):
            arrays[f"{name}_{li}"] = _small(a)
    for li, st in enumerate(e.states):
        for k, a in st.items():
            arrays[f"state_{k}_{li}"] = _small(a)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return path


def load_vectors(path) -> Vectors:
    """Read a vector file; anything wrong with it (damaged, another schema, a missing entry, arrays whose
    shapes disagree with the net, ``T`` and the number of images, codes beyond ``2**k - 1``) raises
    ``ValueError`` naming the file; a missing file ``FileNotFoundError``."""
    from ..fileio import read_npz

    return read_npz(path, _vectors_from_npz, "vector file")


def _vectors_from_npz(data, path: Path) -> Vectors:
    if not hasattr(data, "files") or "meta" not in data:
        raise ValueError(f"{path}: not an sc-neurocore vector file (no 'meta' entry)")
    meta = json.loads(bytes(data["meta"]).decode())
    if not isinstance(meta, dict) or meta.get("schema") not in READ_VECTORS_SCHEMAS:
        schema = meta.get("schema") if isinstance(meta, dict) else None
        raise ValueError(f"{path}: vector schema {schema!r}, this version reads "
                         f"{', '.join(map(str, READ_VECTORS_SCHEMAS))}")
    try:
        qnet = _qnet_from_bytes(bytes(data["qnet"]))
    except ValueError as exc:  # names the temporary copy: name the vector file instead
        raise ValueError(f"{path}: its net: {str(exc).split(': ', 1)[-1]}") from None
    try:
        T, n_images, n_layers = int(meta["T"]), int(meta["n_images"]), int(meta["n_layers"])
        arrays = {k: data[k] for k in data.files if k not in ("meta", "qnet")}
    except KeyError as exc:
        raise ValueError(f"{path}: vector file lacks entry {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: bad meta entry ({exc})") from None
    sizes = [layer.n_neurons for layer in qnet.layers]
    want = {"codes": (n_images, qnet.n_input), "labels": (n_images,), "counts": (n_images, qnet.n_output),
            "prediction": (n_images,)}
    for li, layer in enumerate(qnet.layers):
        want.update({f"{name}_{li}": (T, n_images, sizes[li]) for name in _TRACE_NAMES})
        if meta["schema"] >= 2:
            want.update({f"state_{k}_{li}": (T, n_images, sizes[li]) for k in layer.model.extra_states})
    if T < 1 or n_images < 1 or n_layers != len(qnet.layers) or list(meta.get("sizes", [])) != list(qnet.sizes):
        raise ValueError(f"{path}: inconsistent vector file (T {T}, {n_images} images, {n_layers} layers, sizes "
                         f"{meta.get('sizes')} for a net of sizes {list(qnet.sizes)})")
    for key, shape in want.items():
        if key not in arrays:
            raise ValueError(f"{path}: vector file lacks entry {key!r}")
        a = arrays[key]
        if a.dtype.kind not in "iu" or a.shape != shape:
            raise ValueError(f"{path}: entry {key!r} is {a.dtype} {a.shape}, expected integers of shape {shape}")
    codes = arrays["codes"].astype(np.int64)
    if codes.min() < 0 or codes.max() > qnet.config.prob_max:
        raise ValueError(f"{path}: input codes outside [0, {qnet.config.prob_max}] (k = {qnet.config.prob_bits})")
    expected = SCTrace(counts=arrays["counts"].astype(np.int64), prediction=arrays["prediction"].astype(np.int64))
    for name in _TRACE_NAMES:
        setattr(expected, name, [arrays[f"{name}_{li}"].astype(np.int64) for li in range(n_layers)])
    expected.states = [{k: arrays[f"state_{k}_{li}"].astype(np.int64) for k in layer.model.extra_states}
                       for li, layer in enumerate(qnet.layers)]
    labels = arrays["labels"].astype(np.int64)
    labels = None if (labels < 0).all() else labels
    return Vectors(qnet, codes, T, expected, labels, meta)
