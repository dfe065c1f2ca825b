"""sc-neurocore itself, behind the peers' interface: ``SpikingNet`` trained by its own ``train_epoch``.

Two rows: ``ours`` is the yardstick (the library's own loop, which expands the ``(B, inputs)`` image
over ``T`` as a stride-0 view, so ``SpikingNet`` computes the first layer's current once), and
``ours-seq`` is the same net fed exactly what the peers get (a contiguous repeated ``(T, B, inputs)``
tensor) by the peers' shared loop; ``SpikingNet`` finds its ``T`` steps equal and takes the same
constant-current shortcut, so the two rows differ in the loop's cost, not in arithmetic.
"""

from __future__ import annotations

from pathlib import Path

from .base import NetSpec, Peer

__all__ = ["Ours", "OursSeq"]


class Ours(Peer):
    key = "ours"
    label = "sc-neurocore"
    dist = "sc-neurocore"
    module = "sc_neurocore.training"
    note = (
        "`SpikingNet` + `train_epoch` (the library's own loop: the (B, inputs) image expanded over T, "
        "which `SpikingNet` runs as one constant current); inference on the same expanded view"
    )
    reference = True
    static_input = True

    def status(self) -> str | None:
        try:
            from sc_neurocore.training import SpikingNet, atan_surrogate, train_epoch  # noqa: F401
        except Exception as exc:  # noqa: BLE001 - any import failure means "pending"
            return (
                "pending: `from sc_neurocore.training import SpikingNet, train_epoch, atan_surrogate` "
                f"fails ({type(exc).__name__}: {exc})"
            )
        return None

    def details(self) -> str:
        """Which LIF loop ran (the optional compiled kernel's status); the cache folder shown as ``<cache>``."""
        try:
            from sc_neurocore.paths import cache_dir
            from sc_neurocore.training import native
        except Exception:  # noqa: BLE001 - an older or partial package: nothing to say
            return ""
        status = getattr(native, "status", "")
        status = status() if callable(status) else status
        return str(status).replace(str(cache_dir()), "<cache>").replace(str(Path.home()), "~")

    def build(self, spec: NetSpec):
        from sc_neurocore.training import SpikingNet, atan_surrogate

        surrogate = atan_surrogate
        if spec.alpha != 2.0:  # the library's default slope is 2
            surrogate = atan_surrogate.with_params(alpha=spec.alpha)
        return SpikingNet(sizes=list(spec.sizes), beta=spec.beta, threshold=spec.theta, surrogate_fn=surrogate)

    def train_epoch(self, model, loader, opt, T: int) -> None:
        import torch
        from sc_neurocore.training import train_epoch

        train_epoch(model, loader, opt, T, device=torch.device("cpu"))

    def infer(self, model, x_seq):
        out = model(x_seq)
        return out[0] if isinstance(out, (tuple, list)) else out


class OursSeq(Ours):
    key = "ours-seq"
    label = "sc-neurocore, (T,B,n) input"
    note = (
        "the same `SpikingNet` fed the peers' input, a contiguous repeated (T, B, inputs) tensor, by the "
        "peers' loop (it finds the T steps equal and takes the same constant-current shortcut; not the "
        "yardstick row)"
    )
    static_input = False
    same_weights_check = False  # the same net as ``ours``

    def train_epoch(self, model, loader, opt, T: int) -> None:
        Peer.train_epoch(self, model, loader, opt, T)
