"""SpikingJelly: multi-step ``layer.Linear`` and ``neuron.LIFNode`` configured to the task's dynamics.

``LIFNode(tau=1 / (1 - beta), decay_input=False, v_reset=None, surrogate_function=ATan(alpha),
detach_reset=True, step_mode="m")``: ``v <- v - v / tau + x = beta v + x`` with a subtract reset
-- exactly the task's update (its heaviside is ``>= 0`` instead of ``> 0``: it differs only at an
exact tie).
"""

from __future__ import annotations

from .base import NetSpec, Peer

__all__ = ["SpikingJelly"]


class SpikingJelly(Peer):
    key = "spikingjelly"
    label = "SpikingJelly"
    dist = "spikingjelly"
    module = "spikingjelly.activation_based"
    note = "`LIFNode` + `layer.Linear`, multi-step"

    def build(self, spec: NetSpec):
        import torch
        from spikingjelly.activation_based import layer, neuron, surrogate

        def lif():
            return neuron.LIFNode(
                tau=1.0 / (1.0 - spec.beta),
                decay_input=False,
                v_threshold=spec.theta,
                v_reset=None,
                surrogate_function=surrogate.ATan(alpha=spec.alpha),
                detach_reset=True,
                step_mode="m",
            )

        return torch.nn.Sequential(*(m for a, b in spec.layers for m in (layer.Linear(a, b, step_mode="m"), lif())))

    def infer(self, model, x_seq):
        from spikingjelly.activation_based import functional

        functional.reset_net(model)
        return model(x_seq).sum(0)
