"""The conv task's nets in sc-neurocore, snnTorch and SpikingJelly (the conv training benchmark's peers).

The net (:class:`ConvSpec`, the default ``ConvSpikingNet`` that ``sc-neurocore train --arch conv --dataset
mnist5k`` trains): ``1x28x28 -> Conv2d(1, 12, 5) -> LIF -> MaxPool 2 -> Conv2d(12, 32, 5) -> LIF -> MaxPool 2 ->
Linear(512, 10) -> LIF``, every LIF ``u = beta v + I; s = (u > theta); v = u - theta s`` (the reset detached),
an arctangent surrogate of slope ``alpha``; the output is the spike count of each output neuron over ``T`` steps.
Max pooling of spikes is the OR of the window.

Each library builds it with its own public API; :func:`conv_weights` / :func:`load_conv_weights` move the
three layers' weights between them (in module order: the two convolutions, then the readout), so that every
library starts from the same initial weights and the same-weights check can load one library's trained
weights into another's net.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Peer

__all__ = ["ConvSpec", "ConvOurs", "ConvSnnTorch", "ConvSpikingJelly", "CONV_PEERS", "conv_weights",
           "load_conv_weights"]  # fmt: skip


@dataclass(frozen=True)
class ConvSpec:
    """The conv task's net: image shape, the convolutions' output channels, kernel, pool, classes, LIF constants."""

    input_shape: tuple[int, int, int] = (1, 28, 28)
    channels: tuple[int, ...] = (12, 32)
    kernel: int = 5
    pool: int = 2
    n_out: int = 10
    beta: float = 0.9
    theta: float = 1.0
    alpha: float = 2.0

    def readout_inputs(self) -> int:
        c, h, w = self.input_shape
        for out_c in self.channels:
            h, w, c = (h - self.kernel + 1) // self.pool, (w - self.kernel + 1) // self.pool, out_c
        return c * h * w


def _layers(model) -> list:
    import torch

    return [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]


def conv_weights(model) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(W, b), ...]`` of the net's Conv2d and Linear layers in module order, copied to NumPy."""
    return [(m.weight.detach().cpu().numpy().copy(), m.bias.detach().cpu().numpy().copy()) for m in _layers(model)]


def load_conv_weights(model, weights) -> None:
    """Copy ``weights`` into the net's Conv2d and Linear layers in order; ``ValueError`` on a count or shape mismatch."""
    import torch

    layers = _layers(model)
    if len(layers) != len(weights):
        raise ValueError(f"the net has {len(layers)} conv/linear layers, the weights {len(weights)}")
    with torch.no_grad():
        for m, (w, b) in zip(layers, weights):
            if tuple(m.weight.shape) != tuple(np.shape(w)):
                raise ValueError(f"weight shape {tuple(np.shape(w))} does not fit {tuple(m.weight.shape)}")
            m.weight.copy_(torch.as_tensor(np.asarray(w), dtype=m.weight.dtype))
            m.bias.copy_(torch.as_tensor(np.asarray(b), dtype=m.bias.dtype))


class _ConvPeer(Peer):
    """A conv peer: inputs are ``(B, 784)`` images, fed as ``(T, B, 1, 28, 28)``."""

    def input_for(self, xb, T: int):
        """What :meth:`infer` takes for the ``(B, 784)`` images ``xb``: the image repeated over ``T`` steps."""
        return xb.unsqueeze(0).repeat(T, 1, 1)


class ConvOurs(_ConvPeer):
    key = "ours"
    label = "sc-neurocore"
    dist = "sc-neurocore"
    module = "sc_neurocore.training"
    note = ("`ConvSpikingNet` + `train_epoch` (the (B, 784) image expanded over T: the first conv runs once, "
            "its current held for T steps); inference on the same expanded view")  # fmt: skip
    reference = True

    def build(self, spec: ConvSpec):
        from sc_neurocore.training import ConvSpikingNet, atan_surrogate

        surrogate = atan_surrogate if spec.alpha == 2.0 else atan_surrogate.with_params(alpha=spec.alpha)
        return ConvSpikingNet(
            n_output=spec.n_out, input_shape=spec.input_shape, channels=spec.channels, kernel_size=spec.kernel,
            pool=spec.pool, beta=spec.beta, threshold=spec.theta, surrogate_fn=surrogate,
        )  # fmt: skip

    def train_epoch(self, model, loader, opt, T: int) -> None:
        import torch
        from sc_neurocore.training import train_epoch

        train_epoch(model, loader, opt, T, device=torch.device("cpu"))

    def input_for(self, xb, T: int):
        return xb.unsqueeze(0).expand(T, *xb.shape)

    def infer(self, model, x_seq):
        return model(x_seq)[0]


class ConvSnnTorch(_ConvPeer):
    key = "snntorch"
    label = "snnTorch"
    dist = "snntorch"
    module = "snntorch"
    note = ("`snn.Leaky(reset_delay=False)` after each `nn.Conv2d`/`nn.Linear` (one call over all T x B images), "
            "the neuron looped over T, `nn.MaxPool2d` on the spikes")  # fmt: skip

    def build(self, spec: ConvSpec):
        import snntorch as snn
        import torch
        from snntorch import surrogate

        class SnnTorchConvNet(torch.nn.Module):
            def __init__(self):
                super().__init__()
                kw = dict(beta=spec.beta, threshold=spec.theta, spike_grad=surrogate.atan(alpha=spec.alpha),
                          reset_mechanism="subtract", reset_delay=False)  # fmt: skip
                c = spec.input_shape[0]
                self.convs = torch.nn.ModuleList()
                for out_c in spec.channels:
                    self.convs.append(torch.nn.Conv2d(c, out_c, spec.kernel))
                    c = out_c
                self.fc = torch.nn.Linear(spec.readout_inputs(), spec.n_out)
                self.lifs = torch.nn.ModuleList(snn.Leaky(**kw) for _ in range(len(spec.channels) + 1))
                self.pool = torch.nn.MaxPool2d(spec.pool)

            @staticmethod
            def _run(lif, cur):
                mem = lif.init_leaky()
                spikes = []
                for t in range(cur.shape[0]):
                    spk, mem = lif(cur[t], mem)
                    spikes.append(spk)
                return torch.stack(spikes)

            def forward(self, x_seq):
                T, B = x_seq.shape[:2]
                h = x_seq.reshape(T * B, *spec.input_shape)
                for conv, lif in zip(self.convs, self.lifs):
                    cur = conv(h)
                    s = self._run(lif, cur.view(T, B, *cur.shape[1:]))
                    h = self.pool(s.flatten(0, 1))
                cur = self.fc(h.flatten(1)).view(T, B, -1)
                return self._run(self.lifs[-1], cur).sum(0)

        return SnnTorchConvNet()

    def infer(self, model, x_seq):
        return model(x_seq)


class ConvSpikingJelly(_ConvPeer):
    key = "spikingjelly"
    label = "SpikingJelly"
    dist = "spikingjelly"
    module = "spikingjelly.activation_based"
    note = "`layer.Conv2d` / `layer.MaxPool2d` / `layer.Linear` and `neuron.LIFNode`, multi-step (`step_mode='m'`)"

    def build(self, spec: ConvSpec):
        import torch
        from spikingjelly.activation_based import layer, neuron, surrogate

        def lif():
            return neuron.LIFNode(tau=1.0 / (1.0 - spec.beta), decay_input=False, v_threshold=spec.theta,
                                  v_reset=None, surrogate_function=surrogate.ATan(alpha=spec.alpha),
                                  detach_reset=True, step_mode="m")  # fmt: skip

        mods, c = [], spec.input_shape[0]
        for out_c in spec.channels:
            mods += [
                layer.Conv2d(c, out_c, spec.kernel, step_mode="m"),
                lif(),
                layer.MaxPool2d(spec.pool, step_mode="m"),
            ]
            c = out_c
        mods += [layer.Flatten(step_mode="m"), layer.Linear(spec.readout_inputs(), spec.n_out, step_mode="m"), lif()]
        net = torch.nn.Sequential(*mods)
        net.input_shape = spec.input_shape  # what infer unflattens the (T, B, C*H*W) input to
        return net

    def infer(self, model, x_seq):
        from spikingjelly.activation_based import functional

        functional.reset_net(model)
        T, B = x_seq.shape[:2]
        return model(x_seq.reshape(T, B, *model.input_shape)).sum(0)


#: The conv benchmark's rows, in report order.
CONV_PEERS: tuple[type[Peer], ...] = (ConvOurs, ConvSnnTorch, ConvSpikingJelly)
