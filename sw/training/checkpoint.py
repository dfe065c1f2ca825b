"""Checkpoints: one self-describing file per trained network.

``save_checkpoint(model, path, **meta)`` writes (with ``torch.save``) a dict::

    {"format": "sc-neurocore-checkpoint", "version": 1,
     "architecture": "SpikingNet",                  # the class name
     "hparams": {...},                              # constructor kwargs; the surrogate as
                                                    #   {"name": ..., "params": {...}}
     "state_dict": {...}, "meta": {...}}            # meta: plain values (numbers, strings, lists, dicts)

``load_checkpoint(path) -> (model, meta)`` rebuilds the model from the class and kwargs, loads the
weights, and returns it on the CPU in eval mode.  Loading uses ``torch.load(weights_only=True)``:
no code in the file is run.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .networks import ConvSpikingNet, SpikingNet
from .surrogates import SURROGATES, Surrogate, get_surrogate

__all__ = ["save_checkpoint", "load_checkpoint", "CHECKPOINT_FORMAT", "CHECKPOINT_VERSION", "ARCHITECTURES"]

CHECKPOINT_FORMAT = "sc-neurocore-checkpoint"
CHECKPOINT_VERSION = 1
#: Classes a checkpoint can name.
ARCHITECTURES = {cls.__name__: cls for cls in (SpikingNet, ConvSpikingNet)}


def _surrogate_spec(fn) -> dict:
    if isinstance(fn, Surrogate):
        known = SURROGATES.get(fn.name)
        if known is not None and known._grad_fn is fn._grad_fn:
            return fn.to_dict()
    raise TypeError(
        f"a checkpoint stores the surrogate by name; {fn!r} is not one of {', '.join(SURROGATES)} "
        "(possibly with other parameters via .with_params)"
    )


def _check_plain(value, where: str) -> None:
    if value is None or isinstance(value, (bool, int, float, str)):
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: dictionary keys must be strings, not {key!r}")
            _check_plain(item, f"{where}[{key!r}]")
        return
    raise TypeError(f"{where} must be a plain value (number, string, list, dict), not {type(value).__name__}")


def save_checkpoint(model: torch.nn.Module, path, **meta) -> Path:
    """Write ``model`` (a :data:`ARCHITECTURES` class) and ``meta`` to ``path``; returns the path."""
    name = type(model).__name__
    if ARCHITECTURES.get(name) is not type(model):
        raise TypeError(f"save_checkpoint supports {', '.join(ARCHITECTURES)}, not {name}")
    _check_plain(meta, "meta")
    hparams = dict(model.hparams)
    hparams["surrogate_fn"] = _surrogate_spec(hparams["surrogate_fn"])
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    path = Path(path)
    torch.save(
        {
            "format": CHECKPOINT_FORMAT,
            "version": CHECKPOINT_VERSION,
            "architecture": name,
            "hparams": hparams,
            "state_dict": state,
            "meta": dict(meta),
        },
        path,
    )
    return path


def load_checkpoint(path) -> tuple[torch.nn.Module, dict]:
    """``(model, meta)`` from a file written by :func:`save_checkpoint`."""
    path = Path(path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:  # not a torch file, or one with code in it
        raise ValueError(f"{path}: not an sc-neurocore checkpoint ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not an sc-neurocore checkpoint")
    if data.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"{path}: checkpoint version {data.get('version')!r}, this version reads {CHECKPOINT_VERSION}")
    cls = ARCHITECTURES.get(data["architecture"])
    if cls is None:
        raise ValueError(f"{path}: unknown architecture {data['architecture']!r}")
    hparams = dict(data["hparams"])
    spec = hparams["surrogate_fn"]
    hparams["surrogate_fn"] = get_surrogate(spec["name"], **spec["params"])
    model = cls(**hparams)
    model.load_state_dict(data["state_dict"])
    model.eval()
    return model, data["meta"]
