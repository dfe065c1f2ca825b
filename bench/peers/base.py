"""The one interface every benchmark peer implements, and what the peers share.

A peer (``bench/peers/<library>_peer.py``, and ``ours.py`` for sc-neurocore itself) is a
:class:`Peer`: it says whether its library can run here (:meth:`Peer.status`) and which version
it is (:meth:`Peer.version`), builds the task's net with the library's own public API
(:meth:`Peer.build`) or the *same* net from given weights (:meth:`Peer.from_weights`), trains it
one epoch (:meth:`Peer.train_epoch`) and runs a batch (:meth:`Peer.infer`).  The benchmarks call
only these; everything library-specific lives in the peer's module.

The net of the task (:class:`NetSpec`): ``n_in -> hidden[0] -> ... -> hidden[-1] -> n_out``
``Linear`` layers (the documented digits task has one hidden layer of 128, the 28x28 set two), each
followed by LIF neurons with

``u[t] = beta * v[t-1] + W x[t] + b;  s[t] = (u[t] > theta);  v[t] = u[t] - theta * s[t]``

(the reset kept out of the gradient), an arctangent surrogate of slope ``alpha``; the output is
the spike count of each output neuron over the ``T`` steps.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib import metadata

import numpy as np

__all__ = ["NetSpec", "Weights", "Peer", "linears", "weights_of", "load_weights", "shared_train_epoch"]

#: Per layer ``(W (n_out, n_in), b (n_out,))`` as float arrays: what :meth:`Peer.from_weights` loads.
Weights = list[tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class NetSpec:
    """The task's net: layer sizes and the LIF dynamics every peer is configured to.

    ``hidden``: the width of each hidden layer, in order (``(128,)``: the digits net 64 -> 128 -> 10;
    ``(128, 128)`` with ``n_in=784``: the 28x28 net); a list is kept as a tuple.  ``ValueError`` when a
    width is not a positive integer or there is no hidden layer.
    """

    n_in: int = 64
    hidden: tuple[int, ...] = (128,)
    n_out: int = 10
    beta: float = 0.9
    theta: float = 1.0
    alpha: float = 2.0  # slope of the arctangent surrogate

    def __post_init__(self):
        hidden = tuple(self.hidden) if isinstance(self.hidden, (list, tuple)) else (self.hidden,)
        widths = (self.n_in, *hidden, self.n_out)
        if not hidden or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in widths):
            raise ValueError(
                f"NetSpec needs positive integer widths and at least one hidden layer, not "
                f"n_in={self.n_in!r}, hidden={self.hidden!r}, n_out={self.n_out!r}"
            )
        object.__setattr__(self, "hidden", hidden)

    @property
    def sizes(self) -> tuple[int, ...]:
        """``(n_in, *hidden, n_out)``: the width of every layer, input first."""
        return (self.n_in, *self.hidden, self.n_out)

    @property
    def layers(self) -> list[tuple[int, int]]:
        """``[(fan_in, fan_out), ...]`` of each ``Linear`` layer, input side first."""
        return list(zip(self.sizes[:-1], self.sizes[1:]))


def linears(model) -> list:
    """The ``torch.nn.Linear`` layers of ``model`` in module order (subclasses included)."""
    import torch

    return [m for m in model.modules() if isinstance(m, torch.nn.Linear)]


def weights_of(model) -> Weights:
    """``[(W, b), ...]`` of the ``Linear`` layers of a torch ``model``, copied to NumPy."""
    return [
        (
            lin.weight.detach().cpu().numpy().copy(),
            lin.bias.detach().cpu().numpy().copy() if lin.bias is not None else np.zeros(lin.out_features),
        )
        for lin in linears(model)
    ]


def load_weights(model, weights: Weights) -> None:
    """Copy ``weights`` into the ``Linear`` layers of ``model`` in order (their dtype kept).

    Raises ``ValueError`` when the number of layers or a shape differs.
    """
    import torch

    lins = linears(model)
    if len(lins) != len(weights):
        raise ValueError(f"the net has {len(lins)} Linear layers, the weights {len(weights)}")
    with torch.no_grad():
        for lin, (w, b) in zip(lins, weights):
            if tuple(lin.weight.shape) != tuple(np.shape(w)):
                raise ValueError(f"weight shape {tuple(np.shape(w))} does not fit {tuple(lin.weight.shape)}")
            lin.weight.copy_(torch.as_tensor(np.asarray(w), dtype=lin.weight.dtype))
            if lin.bias is not None:
                lin.bias.copy_(torch.as_tensor(np.asarray(b), dtype=lin.bias.dtype))


def shared_train_epoch(peer: Peer, model, loader, opt, T: int) -> None:
    """The peers' loop: the image repeated over ``T``, forward, cross-entropy on the counts, Adam step."""
    import torch

    F = torch.nn.functional
    model.train()
    for xb, yb in loader:
        x_seq = xb.unsqueeze(0).repeat(T, 1, 1)
        loss = F.cross_entropy(peer.infer(model, x_seq), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


class Peer:
    """One library's way to build, train and run the task's net (a torch module by default).

    Class attributes a peer sets: ``key`` (short name, ``--libs``), ``label`` (the report's name),
    ``dist`` (distribution, for the version), ``module`` (what must import for it to run),
    ``note`` (how the net is built, one line for the report).  ``reference`` marks sc-neurocore's
    own rows (not peers in the ratios); ``variant_of`` marks a row that only the same-weights
    check runs, beside the peer of that key; ``same_weights_check = False`` keeps a row out of that
    check (the same net as another row); ``static_input`` feeds inference the image as a
    stride-0 view over ``T`` (the library's own way) instead of a contiguous repeated tensor.
    """

    key: str = ""
    label: str = ""
    dist: str = ""
    module: str = ""
    note: str = ""
    reference: bool = False
    variant_of: str | None = None
    same_weights_check: bool = True
    static_input: bool = False

    def status(self) -> str | None:
        """``None`` when the library imports here, else why it cannot run."""
        try:
            importlib.import_module(self.module)
        except Exception as exc:  # noqa: BLE001 - any import failure means "cannot run"
            return f"not installed ({type(exc).__name__}: {exc})"
        return None

    def version(self) -> str:
        """The installed version of the library, ``-`` when it is not installed."""
        try:
            return metadata.version(self.dist)
        except metadata.PackageNotFoundError:
            return "-"

    def details(self) -> str:
        """Anything the report should say about how the library ran here (default: nothing)."""
        return ""

    def build(self, spec: NetSpec):
        """A fresh net of ``spec`` (torch's global RNG initialises it: seed it first)."""
        raise NotImplementedError

    def from_weights(self, spec: NetSpec, weights: Weights):
        """The net of ``spec`` with ``weights`` loaded into its layers, in evaluation mode."""
        model = self.build(spec)
        load_weights(model, weights)
        model.eval()
        return model

    def train_epoch(self, model, loader, opt, T: int) -> None:
        """One epoch over ``loader`` (batches of ``(B, n_in)`` images and labels) with ``opt``."""
        shared_train_epoch(self, model, loader, opt, T)

    def infer(self, model, x_seq):
        """Output spike counts ``(B, n_out)`` for the input currents ``x_seq`` ``(T, B, n_in)``."""
        return model(x_seq)

    def input_for(self, x, T: int):
        """The ``(T, B, n_in)`` tensor this library is fed at inference for the images ``x``."""
        if self.static_input:
            return x.unsqueeze(0).expand(T, *x.shape)
        return x.unsqueeze(0).repeat(T, 1, 1).contiguous()
