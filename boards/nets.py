"""Load the net a board is built for: a training checkpoint or a ``QuantizedNet`` export."""

from __future__ import annotations

from pathlib import Path

__all__ = ["load_net", "DEFAULT_T"]

#: Timesteps per image when neither the checkpoint nor the caller says.
DEFAULT_T = 25


def load_net(checkpoint=None, export=None, *, T: int | None = None, length: int | None = None, rng: str | None = None):
    """``(qnet, T, meta)`` from ``checkpoint`` (``load_checkpoint`` + ``to_quantized``) or ``export`` (``.npz``).

    ``T`` defaults to the checkpoint's ``T`` metadata, else :data:`DEFAULT_T`; ``length``/``rng``
    override the default :class:`~sc_neurocore.sc.contract.SCConfig` for a checkpoint (an export
    carries its own config).  Missing files raise ``FileNotFoundError`` naming the path.
    """
    if (checkpoint is None) == (export is None):
        raise ValueError("give exactly one of a checkpoint (--checkpoint) or an export (--export)")
    meta: dict = {}
    if checkpoint is not None:
        path = Path(checkpoint)
        if not path.exists():
            raise FileNotFoundError(f"checkpoint {path} does not exist (train one: sc-neurocore train -o {path})")
        from ..sc.contract import SCConfig
        from ..training.checkpoint import load_checkpoint

        model, meta = load_checkpoint(path)
        changes = {k: v for k, v in (("length", length), ("rng", rng)) if v is not None}
        qnet = model.to_quantized(SCConfig(**changes))
    else:
        path = Path(export)
        if not path.exists():
            raise FileNotFoundError(f"export {path} does not exist (write one with QuantizedNet.save)")
        if length is not None or rng is not None:
            raise ValueError("an export carries its own SC config; --length/--rng apply to checkpoints only")
        from ..export import QuantizedNet

        qnet = QuantizedNet.load(path)
    T = int(T if T is not None else meta.get("T", DEFAULT_T))
    if T < 1:
        raise ValueError(f"T must be >= 1, not {T}")
    return qnet, T, dict(meta)
