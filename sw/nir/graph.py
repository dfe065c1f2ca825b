"""What an import yields: float layers in our conventions (:class:`NIRLayer`, :class:`ImportedNet`).

Each layer is ``v = beta * v + W x + b``; a spike where ``v > threshold`` (strict); then the
layer's reset (``"subtract"``, ``"zero"``, ``"subtract-delayed"``:
:data:`~sc_neurocore.export.FLOAT_RESETS`).  ``W`` already holds every factor NIR keeps apart
(``r * dt / tau``, a ``Scale``, a per-neuron threshold, ``(1 - beta) * v_leak`` in ``b``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["NIRLayer", "ImportedNet", "NIRImportError", "METADATA_KEYS", "DEFAULT_DT"]

#: Graph metadata keys read on import and written on export (they survive ``nir.write``/``nir.read``).
METADATA_KEYS = ("dt", "reset", "reset_timing", "T", "input_encoding", "readout", "discretization")

#: ``dt`` (seconds) assumed when neither the file nor the caller gives one: what snnTorch, SpikingJelly and
#: lava-dl write their files with.
DEFAULT_DT = 1e-4


class NIRImportError(ValueError):
    """A graph the SC chain cannot take (yet); the message names the node and why."""


@dataclass(frozen=True, eq=False)
class NIRLayer:
    """One dense layer and its spiking population, float64.

    ``weight (n_out, n_in)``, ``bias (n_out,)``, ``beta`` in [0, 1] (1: integrate-and-fire, 0: a
    memoryless threshold), ``threshold > 0``, ``reset`` one of ``"subtract"``, ``"zero"``,
    ``"subtract-delayed"``; ``source``: the NIR nodes it came from.
    """

    weight: np.ndarray
    bias: np.ndarray
    beta: float
    threshold: float
    reset: str
    source: tuple[str, ...] = ()

    @property
    def n_in(self) -> int:
        return int(self.weight.shape[1])

    @property
    def n_out(self) -> int:
        return int(self.weight.shape[0])


@dataclass(frozen=True, eq=False)
class ImportedNet:
    """A NIR graph in our terms: ``layers``, the ``T`` to run it for, what was read and assumed.

    ``meta``: the values in force (``dt``, ``reset``, ``discretization``, ``T``, ``input_encoding``,
    ``readout``, ``source``); ``notes``: one line per assumption or correction (missing ``dt``, the
    reset NIR cannot state, ...), for the user to read.
    """

    layers: tuple[NIRLayer, ...]
    T: int
    meta: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.layers[0].n_in,) + tuple(layer.n_out for layer in self.layers)

    def to_quantized(self, config=None, *, input_kind: str | None = None):
        """The :class:`~sc_neurocore.export.QuantizedNet` of these layers for ``config`` (default ``SCConfig()``);
        ``input_kind`` ``None``: ``"spike"`` when the file's ``input_encoding`` is a spike code, else ``"prob"``."""
        from ..export import QuantizedNet
        from .reader import SPIKE_ENCODINGS

        if input_kind is None:
            input_kind = "spike" if self.meta.get("input_encoding") in SPIKE_ENCODINGS else "prob"
        return QuantizedNet.from_float([la.weight for la in self.layers], [la.bias for la in self.layers],
                                       [la.beta for la in self.layers], [la.threshold for la in self.layers], config,
                                       resets=[la.reset for la in self.layers], input_kind=input_kind)

    def to_spiking_net(self, **kwargs):
        """The float :class:`~sc_neurocore.training.SpikingNet` (float32 weights), in eval mode.

        ``kwargs`` go to the constructor (``surrogate_fn``, ``input_range``, ...).
        """
        import torch

        from ..training import SpikingNet

        model = SpikingNet(sizes=list(self.sizes), beta=[la.beta for la in self.layers],
                           threshold=[la.threshold for la in self.layers], reset=[la.reset for la in self.layers],
                           **kwargs)
        with torch.no_grad():
            for fc, la in zip(model.fcs, self.layers):
                fc.weight.copy_(torch.as_tensor(la.weight))
                fc.bias.copy_(torch.as_tensor(la.bias))
        return model.eval()

    def predict(self, x, T: int | None = None) -> np.ndarray:
        """Float64 reference run in NumPy: output spike counts ``(B, n_out)`` for constant inputs ``x (B, n_in)``."""
        x = np.asarray(x, dtype=np.float64)
        T = self.T if T is None else int(T)
        v = [np.zeros((x.shape[0], la.n_out)) for la in self.layers]
        counts = np.zeros((x.shape[0], self.layers[-1].n_out))
        for _ in range(T):
            h = x
            for li, la in enumerate(self.layers):
                u = la.beta * v[li] + h @ la.weight.T + la.bias
                s = (u > la.threshold).astype(np.float64)
                if la.reset == "zero":
                    v[li] = u * (1 - s)
                elif la.reset == "subtract-delayed":
                    v[li] = u - s * (la.threshold / la.beta)
                else:
                    v[li] = u - s * la.threshold
                h = s
            counts += h
        return counts
