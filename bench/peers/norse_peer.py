"""Norse: ``LIFBoxCell`` (LIF without a synaptic current) configured to the task's dynamics.

``dt * tau_mem_inv = 1 - beta`` (dt = 1 ms, tau_mem = 10 ms for beta = 0.9), ``v_th = theta``, a
detached subtract ``reset_method``.  Norse's Euler step ``v += dt / tau (I - v)`` scales the input
by ``dt / tau``, so the currents are multiplied by ``tau / dt`` (10) before the cell; rounding of
``v + 0.1 (10 I - v)`` against ``0.9 v + I`` can flip a spike at a tie.  Norse 1.1 has no
arctangent surrogate: ``method="super"`` (SuperSpike, ``1 / (1 + |x|)^2``; Norse ignores its
alpha) is the nearest of its methods.
"""

from __future__ import annotations

from .base import NetSpec, Peer

__all__ = ["Norse"]

DT = 1e-3  # s


def _detached_subtract(z, v, reset, th):
    """A Norse ``reset_method``: subtract the threshold, the reset kept out of the graph."""
    return v - z.detach() * th


class Norse(Peer):
    key = "norse"
    label = "Norse"
    dist = "norse"
    module = "norse.torch"
    note = "`LIFBoxCell`, SuperSpike surrogate, x10 input gain"

    def build(self, spec: NetSpec):
        import norse.torch as norse
        import torch

        tau_mem_inv = (1.0 - spec.beta) / DT  # 1/s: dt / tau_mem = 1 - beta
        gain = 1.0 / (DT * tau_mem_inv)  # the Euler step scales the input by dt / tau
        p = norse.LIFBoxParameters(
            tau_mem_inv=torch.as_tensor(tau_mem_inv),
            v_leak=torch.as_tensor(0.0),
            v_th=torch.as_tensor(spec.theta),
            v_reset=torch.as_tensor(0.0),
            method="super",
            alpha=torch.as_tensor(spec.alpha),
            reset_method=_detached_subtract,
        )

        class NorseNet(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.fcs = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in spec.layers)
                self.lifs = torch.nn.ModuleList(norse.LIFBoxCell(p, dt=DT) for _ in spec.layers)

            @staticmethod
            def _run(cell, cur):
                state = None
                spikes = []
                for t in range(cur.shape[0]):
                    z, state = cell(cur[t], state)
                    spikes.append(z)
                return torch.stack(spikes)

            def forward(self, x_seq):
                s = x_seq
                for fc, lif in zip(self.fcs, self.lifs):
                    s = self._run(lif, fc(s) * gain)
                return s.sum(0)

        return NorseNet()
