"""``to_nir``: a ``SpikingNet``, a ``QuantizedNet`` or an :class:`ImportedNet` -> ``nir.NIRGraph``.

Per layer an ``Affine`` (a ``Linear`` without bias) and a spiking node with per-neuron arrays
(snnTorch's scalars break NIR's type inference: snnTorch #410, NIR #176):

* ``0 < beta < 1``: ``LIF`` with ``tau = dt / (1 - beta)``, ``r = 1 / (1 - beta)`` (so ``r dt / tau = 1``),
  ``v_leak = 0``, ``v_threshold = theta``, ``v_reset = 0``;
* ``beta = 1``: ``IF`` with ``r = 1 / dt``; ``beta = 0``: ``Threshold``.

The graph's metadata (and each spiking node's) carries what NIR cannot say: ``dt``, ``reset``
(``"subtract"`` or ``"zero"``), ``reset_timing`` (``"immediate"`` or ``"delayed"``), ``T``,
``input_encoding`` (``"constant"``: the same input probabilities at every step), ``readout``
(``"spike_count"``), ``discretization`` (``"euler"``).  A ``QuantizedNet`` is written with its
dequantised values (``weight_q * s / (2**k - 1)``, ``bias_q / 256``, ``beta_q / 256``, ``threshold_q / 256``).
"""

from __future__ import annotations

import math

import numpy as np

from .graph import DEFAULT_DT, ImportedNet

__all__ = ["to_nir", "float_layers"]


def float_layers(net) -> list[tuple[np.ndarray, np.ndarray | None, float, float, str]]:
    """Per layer ``(weight, bias or None, beta, threshold, reset)`` in float64 of any net we hold (LIF neurons:
    a net of other neurons raises ``ValueError``: a Synaptic one's NIR form -- ``CubaLIF`` -- is not written yet,
    ALIF and Alpha neurons have none)."""
    from ..export import QuantizedNet

    kinds = ([layer.neuron for layer in net.layers] if isinstance(net, QuantizedNet)
             else [getattr(net, "neuron", "lif")])
    recurrent = (any(layer.recurrent for layer in net.layers) if isinstance(net, QuantizedNet)
                 else getattr(net, "recurrent", False))
    if recurrent:
        raise ValueError("the NIR export writes feedforward nets; this net has recurrent layers (W_rec), which it "
                         "does not write yet")
    other = sorted(set(kinds) - {"lif"})
    if other == ["synaptic"]:
        raise ValueError("the NIR export writes LIF neurons; this net's are Synaptic (current-based), whose NIR node "
                         "(CubaLIF) it does not write yet")
    if other:
        raise ValueError(f"the NIR export writes LIF neurons; this net's are {', '.join(other)}, which NIR's "
                         "primitives do not hold")

    if isinstance(net, ImportedNet):
        return [(la.weight, la.bias, la.beta, la.threshold, la.reset) for la in net.layers]
    if isinstance(net, QuantizedNet):
        cfg = net.config
        q, one, bone = float(cfg.prob_max), float(cfg.membrane.one), float(cfg.beta_format.one)
        return [(layer.weight_q * (layer.weight_scale / q), layer.bias_q / one, layer.beta_q / bone,
                 layer.threshold_q / one, layer.float_reset) for layer in net.layers]
    fcs, lifs = getattr(net, "fcs", None), getattr(net, "lifs", None)
    if fcs is None or lifs is None or not callable(getattr(net, "to_quantized", None)):
        raise TypeError(f"to_nir takes a SpikingNet, a QuantizedNet or an ImportedNet, not {type(net).__name__}")
    out = []
    for fc, lif in zip(fcs, lifs):
        w = fc.weight.detach().cpu().double().numpy()
        b = None if fc.bias is None else fc.bias.detach().cpu().double().numpy()
        out.append((w, b, float(lif.param("beta").detach()), float(lif.threshold.detach()),
                    getattr(lif, "reset_mode", "subtract")))
    return out


def _reset_md(reset: str) -> dict:
    if reset == "subtract-delayed":
        return {"reset": "subtract", "reset_timing": "delayed"}
    return {"reset": reset, "reset_timing": "immediate"}


def to_nir(net, *, dt: float = DEFAULT_DT, T: int | None = None, input_encoding: str = "constant"):
    """The ``nir.NIRGraph`` of ``net`` (a ``SpikingNet``, ``QuantizedNet`` or :class:`ImportedNet`); see the module."""
    import nir

    if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not (math.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a finite number of seconds > 0, not {dt!r}")
    if T is not None and (isinstance(T, bool) or not isinstance(T, int) or T < 1):
        raise ValueError(f"T must be None or a positive integer, not {T!r}")
    layers = float_layers(net)
    n_in = layers[0][0].shape[1]
    nodes = {"input": nir.Input(input_type={"input": np.array([n_in])})}
    edges, prev = [], "input"
    for i, (w, b, beta, theta, reset) in enumerate(layers):
        n = w.shape[0]
        fc = nir.Linear(weight=np.array(w)) if b is None else nir.Affine(weight=np.array(w), bias=np.array(b))
        md = _reset_md(reset)
        th = np.full(n, float(theta))
        if beta >= 1.0:
            spk = nir.IF(r=np.full(n, 1.0 / dt), v_threshold=th, v_reset=np.zeros(n), metadata=md)
        elif beta <= 0.0:
            spk = nir.Threshold(threshold=th, metadata=md)
        else:
            tau = dt / (1.0 - beta)
            spk = nir.LIF(tau=np.full(n, tau), r=np.full(n, 1.0 / (1.0 - beta)), v_leak=np.zeros(n), v_threshold=th,
                          v_reset=np.zeros(n), metadata=md)
        nodes[f"fc{i}"], nodes[f"lif{i}"] = fc, spk
        edges += [(prev, f"fc{i}"), (f"fc{i}", f"lif{i}")]
        prev = f"lif{i}"
    nodes["output"] = nir.Output(output_type={"output": np.array([layers[-1][0].shape[0]])})
    edges.append((prev, "output"))
    metadata = {"dt": float(dt), "discretization": "euler", "input_encoding": input_encoding,
                "readout": "spike_count", "generator": "sc-neurocore"}
    resets = {la[4] for la in layers if 0.0 < la[2]}
    if len(resets) == 1:
        metadata.update(_reset_md(resets.pop()))
    if T is None and isinstance(net, ImportedNet):
        T = net.T
    if T is not None:
        metadata["T"] = int(T)
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata)
