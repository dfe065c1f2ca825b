"""snnTorch: ``snn.Leaky`` with the task's dynamics, the net written layer by layer.

``Leaky(beta, threshold, spike_grad=surrogate.atan(alpha), reset_mechanism="subtract",
reset_delay=False)``.  ``reset_delay=False`` subtracts the threshold in the step that fires; the
default ``True`` subtracts one step later, *after* the decay (an effective reset of theta / beta),
which is a different neuron: :class:`SnnTorchDelayed` is that default, run only by the
same-weights check.  With ``reset_delay=False`` the reset ``mem - (spk - reset) * threshold`` keeps
the spike's surrogate gradient (only the delayed part is detached): the forward is the task's, the
backward carries ``-theta * surrogate'`` through every reset, which the other libraries detach.  Each layer is one matmul over all ``T x B`` rows, then the neuron loop over
``T`` (the fastest form the API allows).
"""

from __future__ import annotations

from .base import NetSpec, Peer

__all__ = ["SnnTorch", "SnnTorchDelayed"]


class SnnTorch(Peer):
    key = "snntorch"
    label = "snnTorch"
    dist = "snntorch"
    module = "snntorch"
    note = "`snn.Leaky`, reset_delay=False"
    reset_delay = False

    def build(self, spec: NetSpec):
        import snntorch as snn
        import torch
        from snntorch import surrogate

        reset_delay = self.reset_delay

        class SnnTorchNet(torch.nn.Module):
            def __init__(self):
                super().__init__()
                grad = surrogate.atan(alpha=spec.alpha)
                kw = dict(
                    beta=spec.beta, threshold=spec.theta, spike_grad=grad, reset_mechanism="subtract",
                    reset_delay=reset_delay,
                )  # fmt: skip
                self.fcs = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in spec.layers)
                self.lifs = torch.nn.ModuleList(snn.Leaky(**kw) for _ in spec.layers)

            def _run(self, lif, cur):
                mem = lif.init_leaky()
                spikes = []
                for t in range(cur.shape[0]):
                    spk, mem = lif(cur[t], mem)
                    spikes.append(spk)
                return torch.stack(spikes)

            def forward(self, x_seq):
                s = x_seq
                for fc, lif in zip(self.fcs, self.lifs):
                    s = self._run(lif, fc(s))
                return s.sum(0)

        return SnnTorchNet()


class SnnTorchDelayed(SnnTorch):
    key = "snntorch-delay"
    label = "snnTorch, reset_delay=True (default)"
    note = "`snn.Leaky` with its default reset_delay=True"
    variant_of = "snntorch"
    reset_delay = True
