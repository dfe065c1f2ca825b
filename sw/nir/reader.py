"""``from_nir``: a NIR graph -> :class:`~sc_neurocore.nir.graph.ImportedNet` (see ``docs/interop.md``).

The graph must be one chain from its ``Input`` to its ``Output``.  Between two spiking populations
the linear nodes (``Affine``, ``Linear``, ``Scale``, ``Flatten``, ``Identity``) are multiplied into
one ``W x + b``; each spiking node (``LIF``, ``IF``, ``Threshold``) closes a layer.  Forward Euler
unless told otherwise (``discretization="exact"``)::

    LIF:  beta = 1 - dt/tau      W, b *= r dt/tau        b += (1 - beta) v_leak      (Euler)
          beta = exp(-dt/tau)    W, b *= r (1 - beta)    b += (1 - beta) v_leak      (exact)
    IF:   beta = 1               W, b *= r dt
    Threshold: beta = 0

A threshold that differs between the neurons of a layer is divided into their rows (the layer's
threshold becomes 1); ``r`` may differ between neurons; ``tau`` may not (one leak per layer).

Rockpool's exporter (``LIFNeuronTorch`` -> ``LIF``) writes ``r = tau exp(-dt/tau) / dt`` and no ``dt``,
while Rockpool itself steps ``v = exp(-dt/tau) v + W x``: a LIF node whose ``r`` has that form at the
``dt`` in force is read as Rockpool steps it (``beta = exp(-dt/tau)``, the input unscaled), with a note;
without a ``dt``, one is derived from a ``*LIFNeuronTorch`` node's ``r`` and ``tau``
(:func:`rockpool_dt`).  An explicit ``discretization`` reads such a file by NIR's own equations.
Everything else is refused with a :class:`~sc_neurocore.nir.graph.NIRImportError` naming the node.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..export import FLOAT_RESETS
from .graph import DEFAULT_DT, METADATA_KEYS, ImportedNet, NIRImportError, NIRLayer

__all__ = ["from_nir", "read_graph", "rockpool_dt", "DISCRETIZATIONS", "REFUSED"]

#: How a continuous-time neuron becomes a step: forward Euler (what snnTorch, Norse and SpikingJelly
#: compute) or the exact solution for an input held over ``dt``.
DISCRETIZATIONS = ("euler", "exact")
#: Timesteps per sample when neither the file nor the caller says.
DEFAULT_T = 25

#: Why a node type is refused (the node's name is put in front).
REFUSED = {
    "Conv1d": "a convolution: the SC chain takes dense layers only (conv nets: issue 14)",
    "Conv2d": "a convolution: the SC chain takes dense layers only (conv nets: issue 14)",
    "SumPool2d": "pooling: the SC chain takes dense layers only",
    "AvgPool2d": "pooling: the SC chain takes dense layers only",
    "CubaLIF": "a current-based LIF (NIR CubaLIF: a synaptic current and a membrane, two states); the contract's "
               "neuron has "
               "one state (use a plain LIF: snnTorch's Leaky rather than Synaptic, Rockpool's LIFNeuronTorch "
               "rather than LIFTorch)",
    "CubaLI": "a non-spiking integrator: every layer of the SC chain spikes and it reads out spike counts",
    "LI": "a non-spiking leaky integrator (membrane readout): every layer of the SC chain spikes and it reads "
          "out spike counts",
    "I": "a non-spiking integrator: every layer of the SC chain spikes and it reads out spike counts",
    "Delay": "synaptic delays are not modelled",
    "NIRGraph": "a nested graph (how snnTorch writes its recurrent RLeaky/RSynaptic layers): recurrent layers "
                "are not supported",
}

#: How close ``r dt / tau`` must come to ``exp(-dt/tau)`` to be Rockpool's ``r`` (its files hold float32).
ROCKPOOL_RTOL = 1e-5

_LINEAR = ("Affine", "Linear", "Scale", "Flatten", "Identity")
_SPIKING = ("LIF", "IF", "Threshold")


def read_graph(path):
    """``nir.read`` of a file, without NIR's type check (snnTorch's scalar parameters fail it: NIR #176).

    The HDF5 library under h5py can crash the process (a segmentation fault) on a damaged file, so the
    file is read once in a child process first (:func:`_survives_reading`): a file that kills the child
    raises :class:`NIRImportError` here instead of killing the caller.
    """
    import nir

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"NIR file {p} does not exist")
    if p.is_dir():
        raise ValueError(f"NIR file {p} is a folder; give the .nir file")
    signal = _survives_reading(p)
    if signal:
        raise NIRImportError(f"{p} is not a NIR file that this nir ({nir.version}) reads: it is damaged (the HDF5 "
                             f"library crashed reading it, signal {signal})")
    try:
        return nir.read(p, type_check=False)
    except Exception as exc:  # noqa: BLE001 - h5py and NIR raise many kinds for a bad file
        raise NIRImportError(f"{p} is not a NIR file that this nir ({nir.version}) reads: "
                             f"{type(exc).__name__}: {exc}") from exc


#: The child's program: read the file; exit 0 whatever Python raises (the parent reads it again for the message).
_PROBE = "import sys, nir\ntry:\n    nir.read(sys.argv[1], type_check=False)\nexcept Exception:\n    pass\n"


def _survives_reading(p: Path) -> int:
    """0 when a child process reads ``p`` with ``nir.read`` and lives; else the signal that killed it."""
    import subprocess
    import sys

    try:
        r = subprocess.run([sys.executable, "-c", _PROBE, str(p)], capture_output=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        return 9
    return -r.returncode if r.returncode < 0 else 0


def _plain(value):
    """Metadata value as a Python scalar or string (h5py gives bytes and NumPy scalars)."""
    if isinstance(value, bytes):
        return value.decode("utf8")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _meta(node) -> dict:
    md = getattr(node, "metadata", None)
    return {k: _plain(v) for k, v in md.items()} if isinstance(md, dict) else {}


def _array(node_name: str, what: str, value, n: int) -> np.ndarray:
    """A per-neuron parameter as ``(n,)`` float64: scalars and size-1 arrays broadcast (snnTorch writes them)."""
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise NIRImportError(f"node {node_name!r}: {what} is not numeric ({exc})") from exc
    if a.size == 1:
        a = np.full(n, float(a.reshape(-1)[0]))
    a = a.reshape(-1)
    if a.shape != (n,):
        raise NIRImportError(f"node {node_name!r}: {what} has {a.size} values for a layer of {n} neurons")
    if not np.isfinite(a).all():
        raise NIRImportError(f"node {node_name!r}: {what} holds NaN or inf")
    return a


def _chain(graph) -> list[str]:
    """The node names from the Input to the Output; refuses fan-out, merges, cycles and stray nodes."""
    nodes, edges = graph.nodes, [(str(a), str(b)) for a, b in graph.edges]
    for name, node in nodes.items():
        kind = type(node).__name__
        if kind == "NIRGraph":
            raise NIRImportError(f"node {name!r} is {REFUSED[kind]}")
    succ: dict[str, list[str]] = {k: [] for k in nodes}
    pred: dict[str, list[str]] = {k: [] for k in nodes}
    for a, b in edges:
        if a not in nodes or b not in nodes:
            raise NIRImportError(f"edge {a!r} -> {b!r} names a node the graph does not have")
        succ[a].append(b)
        pred[b].append(a)
    inputs = [k for k, n in nodes.items() if type(n).__name__ == "Input"]
    outputs = [k for k, n in nodes.items() if type(n).__name__ == "Output"]
    if len(inputs) != 1 or len(outputs) != 1:
        raise NIRImportError(f"the graph needs exactly one Input and one Output node, not {len(inputs)} and "
                             f"{len(outputs)}")
    order, seen, cur = [], set(), inputs[0]
    while True:
        if cur in seen:
            raise NIRImportError(f"node {cur!r} is reached twice: a recurrent edge (recurrent layers are not supported)")
        seen.add(cur)
        order.append(cur)
        if len(pred[cur]) > 1:
            raise NIRImportError(f"node {cur!r} has {len(pred[cur])} inputs ({', '.join(pred[cur])}): "
                                 "the SC chain is one feed-forward path (no merges, no recurrent edges)")
        if cur == outputs[0]:
            break
        if len(succ[cur]) != 1:
            what = "no successor" if not succ[cur] else f"{len(succ[cur])} successors ({', '.join(succ[cur])})"
            raise NIRImportError(f"node {cur!r} has {what}: the SC chain is one path from Input to Output "
                                 "(no fan-out)")
        cur = succ[cur][0]
    stray = [k for k in nodes if k not in seen]
    if stray:
        raise NIRImportError(f"nodes {', '.join(map(repr, stray))} are not on the path from Input to Output")
    return order


def rockpool_dt(tau: float, r: float) -> float:
    """The ``dt`` (seconds) for which ``r = tau exp(-dt/tau) / dt``, the ``r`` Rockpool's exporter writes.

    With ``x = dt / tau`` that is ``r x = exp(-x)``, i.e. ``x + ln x + ln r = 0``: increasing in ``x``,
    one root for every ``r > 0`` (Newton from ``x = 1 / r``, which is the root when ``exp(-x)`` ~ 1).
    """
    if not (tau > 0 and r > 0 and math.isfinite(tau) and math.isfinite(r)):
        raise ValueError(f"tau and r must be finite and > 0, not {tau!r}, {r!r}")
    x, lr = 1.0 / r, math.log(r)
    for _ in range(100):
        step = (x + math.log(x) + lr) / (1 + 1 / x)
        x = max(x - step, x / 10)
        if abs(step) <= 1e-15 * x:
            break
    return tau * x


def _rockpool_file_dt(graph) -> tuple[float, list[str]] | None:
    """``(dt, names)`` derived from the LIF nodes Rockpool's exporter named (``*LIFNeuronTorch``), if they agree."""
    found = [(str(k), v) for k, v in graph.nodes.items()
             if type(v).__name__ == "LIF" and str(k).endswith("LIFNeuronTorch")]
    if not found:
        return None
    dts = []
    for _, node in found:
        tau = np.asarray(node.tau, dtype=np.float64).reshape(-1)
        r = np.asarray(node.r, dtype=np.float64).reshape(-1)
        if tau.size == 0 or r.size == 0 or not (np.isfinite(tau).all() and np.isfinite(r).all()) or (
                tau <= 0).any() or (r <= 0).any():
            return None
        dts.append(rockpool_dt(float(tau[0]), float(r[0])))
    dt = dts[0]
    if any(abs(d - dt) > ROCKPOOL_RTOL * dt for d in dts):
        return None
    digits = float(f"{dt:.5g}")  # float32 parameters: the dt Rockpool was given, to 5 digits
    return (digits if abs(digits - dt) <= ROCKPOOL_RTOL * dt else dt), [k for k, _ in found]


def _shape_size(shape) -> int:
    a = np.asarray(shape if shape is not None else [], dtype=np.int64).reshape(-1)
    return int(np.prod(a)) if a.size else 0


def _resolve(name, arg, node_md, graph_md, default, note, notes):
    if arg is not None:
        return arg
    if name in node_md:
        return node_md[name]
    if name in graph_md:
        return graph_md[name]
    if note:
        notes.append(note)
    return default


def _reset_of(md: dict) -> str | None:
    """Our reset name from metadata ``reset`` (+ ``reset_timing``), or ``None``."""
    if "reset" not in md:
        return None
    r = str(md["reset"])
    if r == "subtract" and str(md.get("reset_timing", "immediate")) == "delayed":
        return "subtract-delayed"
    return r


class _Reader:
    def __init__(self, graph, dt, reset, discretization, tau_times_dt):
        self.graph, self.notes = graph, []
        self.graph_md = _meta(graph)
        unknown = sorted(set(self.graph_md) - set(METADATA_KEYS) - {"generator", "source"})
        self.unknown = unknown
        given_dt = dt if dt is not None else self.graph_md.get("dt")
        rockpool = _rockpool_file_dt(graph) if given_dt is None else None
        if rockpool is not None:
            given_dt, names = rockpool
            self.notes.append(f"the file gives no dt: dt = {given_dt:g} s derived from the r and tau of "
                              f"{', '.join(names)} (Rockpool's exporter writes r = tau exp(-dt/tau) / dt); pass "
                              "--dt to change it")
        if given_dt is None:
            self.notes.append(f"the file gives no dt: assumed dt = {DEFAULT_DT:g} s (what snnTorch, SpikingJelly "
                              "and lava-dl write with; Norse uses 0.001); pass --dt to change it")
            given_dt = DEFAULT_DT
        if isinstance(given_dt, bool) or not isinstance(given_dt, (int, float)) or not (
                math.isfinite(given_dt) and given_dt > 0):
            raise NIRImportError(f"dt must be a finite number of seconds > 0, not {given_dt!r}")
        self.dt = float(given_dt)
        self.reset_arg = reset
        if reset is not None and reset not in FLOAT_RESETS:
            raise ValueError(f"reset must be one of {FLOAT_RESETS}, not {reset!r}")
        self.disc_given = discretization is not None or "discretization" in self.graph_md
        self.rockpool_nodes: list[str] = []
        disc = discretization if discretization is not None else self.graph_md.get("discretization", "euler")
        if disc not in DISCRETIZATIONS:
            raise ValueError(f"discretization must be one of {DISCRETIZATIONS}, not {disc!r}")
        self.disc = disc
        self.tau_times_dt = bool(tau_times_dt)
        self.reset_noted = False
        self.resets: list[str] = []

    def reset_for(self, name, node) -> str:
        node_md = _meta(node)
        r = self.reset_arg or _reset_of(node_md) or _reset_of(self.graph_md)
        if r is None:
            r = "zero"
            if not self.reset_noted:
                self.notes.append("the file does not say how a spike resets the membrane (NIR's v_reset = 0 cannot "
                                  "tell a subtract from a zero reset: NIR #63, #129): assumed 'zero', NIR's own "
                                  "definition; a file from snnTorch's defaults needs --reset subtract-delayed, "
                                  "SpikingJelly's soft reset --reset subtract")
                self.reset_noted = True
        if r not in FLOAT_RESETS:
            raise NIRImportError(f"node {name!r}: reset {r!r} is not one of {FLOAT_RESETS}")
        return r

    def lif(self, name, node, n):
        """``(beta, gain (n,), leak_bias (n,), threshold (n,))`` of a LIF node."""
        tau = _array(name, "tau", node.tau, n)
        r = _array(name, "r", node.r, n)
        v_leak = _array(name, "v_leak", node.v_leak, n)
        if (tau <= 0).any():
            raise NIRImportError(f"LIF {name!r}: tau must be > 0, not {tau.min():g}")
        if self.tau_times_dt:
            tau = tau / self.dt
        if tau.min() < self.dt and not self.tau_times_dt:
            beta = 1 - self.dt / tau.min()
            fixed = 1 - self.dt / (tau.min() / self.dt)
            hint = (f" (read as tau / dt it gives beta = {fixed:.4g})" if 0 <= fixed <= 1 else "")
            raise NIRImportError(
                f"LIF {name!r}: tau = {tau.min():g} s is shorter than dt = {self.dt:g} s (beta would be {beta:.4g}): "
                "Norse writes tau multiplied by dt (Norse #411: a 10 ms neuron becomes 1e-05). Give Norse's dt "
                f"(its default: --dt 0.001) and --tau-times-dt (Python: tau_times_dt=True){hint}")
        if np.ptp(tau) > 1e-9 * np.abs(tau).max():
            raise NIRImportError(f"LIF {name!r}: tau differs between neurons ({tau.min():g} .. {tau.max():g} s): "
                                 "the contract has one leak per layer (per-neuron tau is not supported)")
        t = float(tau[0])
        decay = math.exp(-self.dt / t)
        if np.all(np.abs(r * self.dt / tau - decay) <= ROCKPOOL_RTOL * decay):
            self.rockpool_nodes.append(name)
            if not self.disc_given:  # Rockpool's own step: v = exp(-dt/tau) v + W x
                return decay, np.ones(n), (1 - decay) * v_leak, _array(name, "v_threshold", node.v_threshold, n)
        if self.disc == "exact":
            beta = math.exp(-self.dt / t)
            gain = r * (1 - beta)
        else:
            beta = 1 - self.dt / t
            gain = r * (self.dt / t)
        if not 0.0 <= beta <= 1.0:
            raise NIRImportError(f"LIF {name!r}: beta = 1 - dt/tau = {beta:.4g} is outside [0, 1] "
                                 f"(tau = {t:g} s, dt = {self.dt:g} s)")
        return beta, gain, (1 - beta) * v_leak, _array(name, "v_threshold", node.v_threshold, n)

    def layer_params(self, name, node, n):
        kind = type(node).__name__
        if kind == "Threshold":
            return 0.0, np.ones(n), np.zeros(n), _array(name, "threshold", node.threshold, n)
        v_reset = _array(name, "v_reset", node.v_reset, n) if getattr(node, "v_reset", None) is not None else 0
        if np.any(v_reset != 0):
            raise NIRImportError(f"{kind} {name!r}: v_reset = {np.max(np.abs(v_reset)):g} != 0: the contract resets "
                                 "to 0 or by subtraction (a reset potential other than 0 is not supported)")
        if kind == "IF":
            return 1.0, _array(name, "r", node.r, n) * self.dt, np.zeros(n), _array(name, "v_threshold",
                                                                                     node.v_threshold, n)
        return self.lif(name, node, n)

    def run(self) -> list[NIRLayer]:
        nodes = self.graph.nodes
        order = _chain(self.graph)
        layers: list[NIRLayer] = []
        width = A = c = None
        since: list[str] = []  # linear nodes since the last spiking layer
        for name in order:
            node = nodes[name]
            kind = type(node).__name__
            if kind in REFUSED:
                raise NIRImportError(f"node {name!r} is {REFUSED[kind]}")
            if kind == "Input":
                width = _shape_size(node.input_type.get("input"))
                if width < 1:
                    raise NIRImportError(f"Input {name!r} has no shape")
                A, c = np.eye(width), np.zeros(width)
                continue
            if kind == "Output":
                if since and any(nodes[s].__class__.__name__ in ("Affine", "Linear", "Scale") for s in since):
                    raise NIRImportError(f"node {since[-1]!r} feeds the Output without a spiking neuron after it: "
                                         "the SC chain's output layer spikes (a non-spiking readout is not supported)")
                if not layers:
                    raise NIRImportError("the graph has no spiking layer (LIF, IF or Threshold)")
                break
            if kind in ("Flatten", "Identity"):
                since.append(name)
                continue
            if kind in ("Affine", "Linear"):
                w = np.asarray(node.weight, dtype=np.float64)
                if w.ndim != 2:
                    raise NIRImportError(f"{kind} {name!r}: weight must be 2-D (n_out, n_in), not shape {w.shape}")
                if w.shape[1] != width:
                    raise NIRImportError(f"{kind} {name!r} takes {w.shape[1]} inputs but receives {width}")
                b = _array(name, "bias", node.bias, w.shape[0]) if kind == "Affine" else np.zeros(w.shape[0])
                if not np.isfinite(w).all():
                    raise NIRImportError(f"{kind} {name!r}: weight holds NaN or inf")
                A, c, width = w @ A, w @ c + b, w.shape[0]
                since.append(name)
                continue
            if kind == "Scale":
                s = _array(name, "scale", node.scale, width)
                A, c = s[:, None] * A, s * c
                since.append(name)
                continue
            if kind in _SPIKING:
                beta, gain, leak_bias, theta = self.layer_params(name, node, width)
                gain = np.where(np.abs(gain - 1) < 1e-12, 1.0, gain)  # r dt / tau = 1 up to round-off
                if (theta <= 0).any():
                    raise NIRImportError(f"{kind} {name!r}: the threshold must be > 0, not {theta.min():g}")
                W, b = gain[:, None] * A, gain * c + leak_bias
                if np.ptp(theta) > 0:  # per-neuron thresholds: each neuron's membrane in units of its threshold
                    W, b, th = W / theta[:, None], b / theta, 1.0
                else:
                    th = float(theta[0])
                reset = self.reset_for(name, node) if beta > 0 else "subtract"
                layers.append(NIRLayer(W, b, float(beta), th, reset, tuple(since) + (name,)))
                A, c, since = np.eye(width), np.zeros(width), []
                continue
            raise NIRImportError(f"node {name!r} is a {kind}: not mapped to the SC chain")
        if self.rockpool_nodes:
            how = ("by NIR's equations, as the discretization given says" if self.disc_given else
                   "as Rockpool steps it: beta = exp(-dt/tau), the input unscaled (NIR's Euler would scale it by "
                   "exp(-dt/tau), its exact solution by r (1 - beta))")
            if not self.disc_given:
                self.disc = "exact"  # what meta records: beta = exp(-dt/tau)
            self.notes.append(f"LIF {', '.join(self.rockpool_nodes)}: r = tau exp(-dt/tau) / dt, what Rockpool's "
                              f"exporter writes (LIFNeuronTorch): read {how}")
        return layers


#: ``input_encoding`` values that make an imported net's first layer take spikes (``sc-neurocore ...
#: --input-encoding``; ``"spike"``: spike inputs of an unknown code, fed as ``--data`` rasters).
SPIKE_ENCODINGS = ("rate", "latency", "delta", "spike")


def from_nir(graph, dt: float | None = None, *, reset: str | None = None, T: int | None = None,
             discretization: str | None = None, tau_times_dt: bool = False) -> ImportedNet:
    """Read a NIR graph (a ``nir.NIRGraph`` or the path of a ``.nir`` file) into an :class:`ImportedNet`.

    ``dt`` (seconds), ``reset`` (``"subtract"``, ``"zero"``, ``"subtract-delayed"``), ``T`` and
    ``discretization`` (``"euler"``, ``"exact"``) override the file's metadata; what neither gives
    is assumed and said in ``notes`` (``dt = 1e-4``, a zero reset, ``T = 25``, Euler).
    ``tau_times_dt``: the file's ``tau`` are ``tau * dt`` (Norse's exporter, Norse #411).
    A graph the chain cannot take raises :class:`NIRImportError` naming the node and why.
    """
    if isinstance(graph, (str, Path)):
        source = str(graph)
        graph = read_graph(graph)
    else:
        source = "graph"
        if not hasattr(graph, "nodes") or not hasattr(graph, "edges"):
            raise TypeError(f"from_nir takes a nir.NIRGraph or the path of a .nir file, not {type(graph).__name__}")
    reader = _Reader(graph, dt, reset, discretization, tau_times_dt)
    layers = reader.run()
    md = reader.graph_md
    notes = reader.notes
    if T is None:
        T = md.get("T")
        if T is None:
            notes.append(f"the file gives no T: {DEFAULT_T} timesteps per sample (pass --T to change it)")
            T = DEFAULT_T
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T must be a positive integer, not {T!r}")
    enc = md.get("input_encoding", "constant")
    if enc in SPIKE_ENCODINGS:
        notes.append(f"the file's input encoding is {enc!r}: the net's first layer takes spikes, and the commands "
                     "encode images so (--input-encoding changes the code; --data takes your own rasters)")
    elif enc != "constant":
        notes.append(f"the file's input encoding is {enc!r}: the SC chain feeds each sample as the same input "
                     "probabilities at every timestep")
    readout = md.get("readout", "spike_count")
    if readout != "spike_count":
        notes.append(f"the file's readout is {readout!r}: the SC chain predicts by the output layer's spike counts")
    if reader.unknown:
        notes.append(f"metadata not read: {', '.join(reader.unknown)}")
    resets = sorted({la.reset for la in layers})
    meta = {"dt": reader.dt, "reset": resets[0] if len(resets) == 1 else [la.reset for la in layers],
            "discretization": reader.disc, "T": int(T), "input_encoding": enc, "readout": readout,
            "source": source, "nodes": [list(la.source) for la in layers]}
    return ImportedNet(tuple(layers), int(T), meta, tuple(notes))
