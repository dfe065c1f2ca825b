"""Adapters of the libraries the benchmarks compare, one module each, behind :class:`Peer`.

``TRAINING``: the rows of the training benchmark, in report order (sc-neurocore's two rows, then
snnTorch, SpikingJelly, Norse); ``VARIANTS``: rows only the same-weights check runs;
:class:`~peers.upstream_peer.Upstream`: the published sc-neurocore's SC path (``bench_sc``).
"""

from __future__ import annotations

from .base import NetSpec, Peer, Weights, linears, load_weights, shared_train_epoch, weights_of
from .norse_peer import Norse
from .ours import Ours, OursSeq
from .snntorch_peer import SnnTorch, SnnTorchDelayed
from .spikingjelly_peer import SpikingJelly
from .upstream_peer import Upstream, UpstreamNet, UpstreamRun

__all__ = [
    "NetSpec", "Peer", "Weights", "linears", "load_weights", "shared_train_epoch", "weights_of",
    "Ours", "OursSeq", "SnnTorch", "SnnTorchDelayed", "SpikingJelly", "Norse",
    "Upstream", "UpstreamNet", "UpstreamRun", "TRAINING", "VARIANTS", "training_peers", "by_key",
]  # fmt: skip

TRAINING: tuple[type[Peer], ...] = (Ours, OursSeq, SnnTorch, SpikingJelly, Norse)
VARIANTS: tuple[type[Peer], ...] = (SnnTorchDelayed,)


def training_peers(keys=None) -> list[Peer]:
    """Instances of the training rows whose key is in ``keys`` (all when ``None``), in report order."""
    return [cls() for cls in TRAINING if keys is None or cls.key in keys]


def by_key(key: str) -> Peer:
    """The adapter of ``key`` (a training row, a variant, or ``upstream``); ``KeyError`` otherwise."""
    for cls in (*TRAINING, *VARIANTS, Upstream):
        if cls.key == key:
            return cls()
    raise KeyError(key)
