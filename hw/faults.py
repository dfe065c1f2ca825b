"""The fault build's plan: the count changes and membrane bit flips a fault build of the engine injects.

A fault build (``SCNetworkCore(qnet, T, faults=plan)``) exists only to show that the gateware and the NumPy model
agree integer for integer under the same faults (issue 15); the normal build has none of it.  The plan comes
from a traced NumPy run under a :class:`~sc_neurocore.sc.faults.FaultModel` (``FaultPlan.from_trace``): per
image, layer, timestep and neuron, the change a bitstream or count fault made to the count
(``SCTrace.faults["count_delta"]``) and the bits a membrane upset flipped (``["state_xor"]``).  The count pipeline
adds the count change as a finished block enters its output register; the neuron unit XORs the flips into the
membrane register as the step commits.  Both read them from ROMs indexed by an image counter of their own
(images after the plan's last wrap around to its first).  Weight upsets need no plan: build the core from
``sc.faults.corrupt_weights(qnet, model)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from amaranth.hdl import Mux, Signal

__all__ = ["FaultPlan", "image_counter"]


def image_counter(m, advance, images: int) -> Signal:
    """A fault build's image number: steps at ``advance`` (the image's last block or step), wraps after
    ``images``."""
    img = Signal(range(max(images, 2)), name="fault_image")
    with m.If(advance):
        m.d.sync += img.eq(Mux(img == images - 1, 0, img + 1))
    return img


@dataclass(frozen=True, eq=False)
class FaultPlan:
    """Per layer ``(T, images, n_l)`` int64: ``count_delta`` (signed) and ``state_xor`` (16-bit masks)."""

    count_delta: tuple
    state_xor: tuple

    def __post_init__(self):
        if len(self.count_delta) != len(self.state_xor) or not self.count_delta:
            raise ValueError("a fault plan needs count_delta and state_xor for every layer")
        shapes = {np.shape(a)[:2] for a in (*self.count_delta, *self.state_xor)}
        if len(shapes) != 1 or any(np.ndim(a) != 3 for a in (*self.count_delta, *self.state_xor)):
            raise ValueError(f"fault plan arrays must all be (T, images, n_l), got shapes {sorted(shapes)}")

    @classmethod
    def from_trace(cls, trace) -> FaultPlan:
        """The plan of a traced run under faults (``SCNetwork.run_codes(..., trace=True, faults=model)``)."""
        if not trace.faults:
            raise ValueError("the trace holds no faults: run the model with trace=True and a bitstream, count or "
                             "membrane FaultModel")
        return cls(tuple(np.asarray(a, np.int64) for a in trace.faults["count_delta"]),
                   tuple(np.asarray(a, np.int64) for a in trace.faults["state_xor"]))

    @property
    def T(self) -> int:
        return int(np.shape(self.count_delta[0])[0])

    @property
    def images(self) -> int:
        return int(np.shape(self.count_delta[0])[1])

    def value(self, name: str, spec, layer: int, image: int, group: int, lane: int, t: int) -> int:
        """``count_delta`` or ``state_xor`` (``name``) of neuron lane ``lane`` of ``group`` at timestep ``t``; 0 for
        the lanes and time lanes past the layer's neurons or ``T`` (the ROM rows are padded to the widest layer)."""
        pl, j = spec.plans[layer], group * spec.lanes + lane
        if group >= pl.groups or j >= pl.n_out or t >= spec.T:
            return 0
        return int(getattr(self, name)[layer][t, image, j])

    def check(self, qnet, T: int) -> None:
        """``ValueError`` unless the plan fits ``qnet`` at ``T`` timesteps."""
        if len(self.count_delta) != len(qnet.layers) or self.T != T:
            raise ValueError(f"the fault plan is for {len(self.count_delta)} layers and T={self.T}, not "
                             f"{len(qnet.layers)} and T={T}")
        for li, (a, layer) in enumerate(zip(self.count_delta, qnet.layers)):
            if a.shape[2] != layer.n_out:
                raise ValueError(f"the fault plan's layer {li} has {a.shape[2]} neurons, the net's {layer.n_out}")
