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

The file is written atomically (:func:`~sc_neurocore.fileio.atomic_output`) and carries ``"digest"``, the
SHA-256 of its architecture, hyperparameters, metadata and tensors (:func:`checkpoint_digest`), because PyTorch's zip reader does not check the
archive's CRCs: a flipped bit in a weight would otherwise load as a different net.  Anything wrong with
a file (damaged, another version, a missing entry, tensors of the wrong shape, NaN or inf weights, a
digest that does not match) raises ``ValueError`` naming the file; files without a digest (written
before it existed) still load.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

from ..fileio import atomic_output
from .networks import ConvSpikingNet, SpikingNet
from .surrogates import SURROGATES, Surrogate, get_surrogate

__all__ = ["save_checkpoint", "load_checkpoint", "checkpoint_digest", "CHECKPOINT_FORMAT", "CHECKPOINT_VERSION",
           "ARCHITECTURES"]

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
    record = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "architecture": name,
              "hparams": hparams, "state_dict": state, "meta": dict(meta)}
    record["digest"] = checkpoint_digest(record)
    with atomic_output(path) as tmp:
        torch.save(record, tmp)
    return path


def checkpoint_digest(record: dict) -> str:
    """SHA-256 (hex) of a checkpoint record: its architecture, hparams and meta (as sorted JSON), then per
    tensor of its state_dict, in key order, the name, dtype, shape and bytes."""
    h = hashlib.sha256()
    head = {k: record[k] for k in ("architecture", "hparams", "meta")}
    h.update(json.dumps(head, sort_keys=True, default=repr).encode())
    state = record["state_dict"]
    for key in sorted(state):
        t = state[key].detach().cpu().contiguous()
        h.update(f"{key}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def load_checkpoint(path) -> tuple[torch.nn.Module, dict]:
    """``(model, meta)`` from a file written by :func:`save_checkpoint`; ``ValueError`` naming the file if it is
    not one, is damaged, or holds NaN/inf or tensors of the wrong shape."""
    path = Path(path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:  # noqa: BLE001 - not a torch file, a damaged one, or one with code in it
        raise ValueError(f"{path}: not an sc-neurocore checkpoint ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not an sc-neurocore checkpoint")
    if data.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"{path}: checkpoint version {data.get('version')!r}, this version reads {CHECKPOINT_VERSION}")
    try:
        model = _rebuild(data)
    except (ValueError, TypeError, KeyError, RuntimeError) as exc:  # torch's shape errors are RuntimeErrors
        raise ValueError(f"{path}: damaged sc-neurocore checkpoint: {str(exc).strip() or type(exc).__name__}") from exc
    return model, data["meta"]


def _rebuild(data: dict) -> torch.nn.Module:
    """The model a checkpoint record describes, every entry checked."""
    missing = [k for k in ("architecture", "hparams", "state_dict", "meta") if k not in data]
    if missing:
        raise ValueError(f"no {', '.join(map(repr, missing))} entry")
    cls = ARCHITECTURES.get(data["architecture"]) if isinstance(data["architecture"], str) else None
    if cls is None:
        raise ValueError(f"unknown architecture {data['architecture']!r}")
    state, meta, hparams = data["state_dict"], data["meta"], data["hparams"]
    if not isinstance(hparams, dict) or not isinstance(state, dict) or not isinstance(meta, dict):
        raise ValueError("'hparams', 'state_dict' and 'meta' must be dicts")
    if not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError("the state_dict holds something that is not a tensor")
    if "digest" in data and data["digest"] != checkpoint_digest(data):
        raise ValueError("its content does not match the digest stored with it (the file was altered or damaged)")
    for key, t in state.items():
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise ValueError(f"tensor {key!r} holds NaN or inf")
    hparams = dict(hparams)
    spec = hparams.get("surrogate_fn")
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not isinstance(spec.get("params"), dict):
        raise ValueError(f"hparams['surrogate_fn'] must be {{'name': str, 'params': dict}}, not {spec!r}")
    hparams["surrogate_fn"] = get_surrogate(spec["name"], **spec["params"])
    model = cls(**hparams)
    model.load_state_dict(state)
    model.eval()
    return model
