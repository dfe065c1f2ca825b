"""Loading the net a command works on, and the command-line options that choose it.

:func:`load_net` is the one loader (interface 3 of the helpers' notes): a training checkpoint
(quantised with an :class:`~sc_neurocore.sc.contract.SCConfig`) or a ``QuantizedNet`` export
(which carries its own config).  Every SC default of every command comes from ``SCConfig()``:
the options below default to ``None`` and only the values a user gives change the config.
"""

from __future__ import annotations

import argparse
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .argtypes import INPUT_ENCODINGS, non_negative_int, positive_int

__all__ = ["DEFAULT_T", "LoadedNet", "load_net", "describe_file", "add_net_options", "add_sc_options",
           "config_from_args", "net_from_args", "sc_default", "CONV_UNSUPPORTED", "dense_only"]

#: Timesteps per image when neither the command line nor the checkpoint says.
DEFAULT_T = 25

CONV_UNSUPPORTED = ("this command does not take conv layers yet (issue 14); sc-eval, export, export-vectors, "
                    "export-verilog, verify, build, infer and sweep do")


@dataclass(frozen=True)
class LoadedNet:
    """What :func:`load_net` returns.

    ``qnet``: the :class:`~sc_neurocore.export.QuantizedNet`; ``T``: timesteps per image;
    ``meta``: the checkpoint's metadata (``{}`` for an export); ``model``: the torch model of a
    checkpoint (``None`` for an export).
    """

    qnet: object
    T: int
    meta: dict = field(default_factory=dict)
    model: object = None


def _existing(path, what: str, hint: str) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise FileNotFoundError(f"{what} {p} does not exist ({hint})")
    if p.is_dir():
        raise ValueError(f"{what} {p} is a folder; give the file")
    return p


def describe_file(path) -> tuple[str, bool]:
    """``(what the file looks like, whether it could be an sc-neurocore checkpoint)``, for error messages."""
    p = Path(path)
    size = p.stat().st_size
    if size == 0:
        return "it is empty (0 bytes)", False
    with open(p, "rb") as fh:
        head = fh.read(64)
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(p) as zf:
                names = zf.namelist()
        except zipfile.BadZipFile:
            return "it is a damaged zip archive", False
        if any(n.endswith("data.pkl") for n in names):
            return _describe_torch(p)
        if names and all(n.endswith(".npy") for n in names):
            arrays = sorted(n[:-4] for n in names)
            if "meta" in arrays and "weight_q_0" in arrays:
                return "it is a QuantizedNet export (.npz): pass it with --export", False
            shown = ", ".join(arrays[:6]) + (", ..." if len(arrays) > 6 else "")
            return f"it is a NumPy .npz archive holding the arrays {shown}", False
        return f"it is a zip archive of {len(names)} files (first: {names[0] if names else '-'})", False
    if head.startswith(b"\x93NUMPY"):
        return "it is a NumPy .npy array", False
    if head[:1] == b"\x80":
        return "it is a Python pickle (an old torch.save format or a plain pickle)", False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return f"it is a binary file of {size:,} bytes starting {head[:8].hex(' ')}", False
    first = text.splitlines()[0] if text.strip() else text
    return f"it is a text file starting {first[:40]!r}", False


def _describe_torch(p: Path) -> tuple[str, bool]:
    try:
        import torch

        data = torch.load(p, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - only for the message
        return "it is a PyTorch file (torch.save) that loads only with code execution or not at all", False
    if isinstance(data, dict):
        keys = ", ".join(repr(k) for k in list(data)[:6])
        if data.get("format") == "sc-neurocore-checkpoint":
            return "it is an sc-neurocore checkpoint", True
        if all(hasattr(v, "shape") for v in data.values()) and data:
            return f"it is a PyTorch state_dict (tensors {keys}), not a whole checkpoint", False
        return f"it is a PyTorch file holding a dict with the keys {keys}", False
    return f"it is a PyTorch file holding a {type(data).__name__}", False


def _load_checkpoint(path: Path):
    try:
        from ..training.checkpoint import load_checkpoint
    except ImportError as exc:
        from ..errors import missing_extra

        raise missing_extra("training", exc, what=f"reading the checkpoint {path} needs torch") from exc
    what, plausible = describe_file(path)
    if not plausible:
        raise ValueError(
            f"{path} is not an sc-neurocore checkpoint: {what}. Expected a file written by "
            "'sc-neurocore train -o CKPT' (torch.save of a dict whose 'format' is 'sc-neurocore-checkpoint')"
        )
    return load_checkpoint(path)


def _load_export(path: Path):
    from ..export import QuantizedNet

    try:
        return QuantizedNet.load(path)
    except Exception as exc:  # noqa: BLE001 - anything wrong with the file's content is bad input
        what, plausible = describe_file(path)
        detail = ": pass it with --checkpoint" if plausible else f" ({type(exc).__name__}: {exc})"
        raise ValueError(
            f"{path} is not a QuantizedNet export: {what}{detail}. Expected a .npz written by "
            "'sc-neurocore export -o NPZ' or QuantizedNet.save"
        ) from exc


def load_net(checkpoint=None, export=None, *, config=None, T: int | None = None,
             input_kind: str | None = None) -> LoadedNet:
    """The net of a checkpoint (quantised with ``config``, default ``SCConfig()``) or of an export.

    ``T`` defaults to the checkpoint's ``T`` metadata, else :data:`DEFAULT_T`.  An export keeps
    its own config: a ``config`` that differs raises ``ValueError``.  A missing file raises
    ``FileNotFoundError``, a file that is not what it should be ``ValueError`` saying what it
    looks like, missing torch
    :class:`~sc_neurocore.errors.MissingTool`.  ``input_kind``: what the first layer takes, ``"prob"`` or
    ``"spike"`` (spike-encoded inputs); ``None``: ``"spike"`` for a checkpoint trained on encoded inputs
    (``meta["input_encoding"]`` one of ``rate``, ``latency``, ``delta``, or ``raster`` for a net trained on your
    own rasters; NIR's ``"constant"`` is a constant current), else ``"prob"``; an export keeps its own.
    """
    from ..sc.contract import SCConfig

    if (checkpoint is None) == (export is None):
        raise ValueError("give exactly one of --checkpoint CKPT (a trained net) or --export NPZ (a QuantizedNet export)")
    if config is not None and not isinstance(config, SCConfig):
        raise TypeError(f"config must be an SCConfig, not {config!r}")
    meta: dict = {}
    model = None
    if checkpoint is not None:
        path = _existing(checkpoint, "checkpoint", f"train one: sc-neurocore train -o {checkpoint}")
        model, meta = _load_checkpoint(path)
        if not callable(getattr(model, "to_quantized", None)):
            raise ValueError(f"{path} holds a {type(model).__name__}, which has no integer export (to_quantized)")
        kind = input_kind or ("spike" if meta.get("input_encoding") in INPUT_ENCODINGS + ("raster", "spike")
                                    else "prob")
        qnet = model.to_quantized(config if config is not None else SCConfig(), input_kind=kind)
    else:
        path = _existing(export, "export", "write one: sc-neurocore export --checkpoint CKPT -o NPZ")
        qnet = _load_export(path)
        if config is not None and config != qnet.config:
            raise ValueError(f"{path} was exported with {_short(qnet.config)}; an export keeps its SC config "
                             f"(asked: {_short(config)}): give --checkpoint to quantise differently")
        if input_kind == "spike" and not qnet.spike_input:
            raise ValueError(f"{path} was exported for probability inputs; an export keeps its input kind: give "
                             "--checkpoint to run it on spike-encoded inputs")
    T = int(T if T is not None else meta.get("T", DEFAULT_T))
    if T < 1:
        raise ValueError(f"T must be >= 1, not {T}")
    return LoadedNet(qnet, T, dict(meta), model)


def _short(config) -> str:
    from dataclasses import asdict

    from ..sc.contract import SCConfig

    default = SCConfig()
    changed = {k: v for k, v in asdict(config).items() if getattr(default, k) != getattr(config, k)}
    return "rng=" + config.rng + ", L=" + str(config.length) + "".join(
        f", {k}={v}" for k, v in changed.items() if k not in ("rng", "length"))


# ------------------------------------------------------------------------------- options

def sc_default(name: str):
    """The contract's default for an :class:`SCConfig` field (what ``--help`` shows)."""
    from ..sc.contract import SCConfig

    return getattr(SCConfig(), name)


#: SCConfig fields the command lines expose: (option, field, type, metavar, help).
_SC_OPTIONS = {
    "length": ("--length", positive_int, "L", "SC clock cycles per timestep (bitstream length)"),
    "rng": ("--rng", None, None, "random source"),
    "seed": ("--seed", non_negative_int, "SEED", "SC base seed"),
    "prob_bits": ("--prob-bits", positive_int, "K", "bits per probability and weight magnitude"),
    "lfsr_width": ("--lfsr-width", positive_int, "N", "LFSR width"),
    "lfsr_steps": ("--lfsr-steps", positive_int, "S", "LFSR shifts per SC cycle"),
    "lfsr_kind": ("--lfsr-kind", None, None, "LFSR structure"),
    "scale_bits": ("--scale-bits", positive_int, "B", "width of the count-to-current multiplier"),
    "polarity": ("--polarity", None, None, "weight encoding (the gateware builds 'signed' only)"),
}


def add_sc_options(p: argparse.ArgumentParser, fields=("length", "rng", "seed"), *, note: str = "",
                   defaults: dict | None = None) -> None:
    """Options for SCConfig ``fields``; each defaults to ``None`` and its help shows ``SCConfig()``'s value.

    ``defaults`` replaces the shown default of a field by a text (``build``: the board's source).
    """
    from ..sc.contract import LFSR_KINDS, POLARITIES, RNG_KINDS

    choices = {"rng": RNG_KINDS, "polarity": POLARITIES, "lfsr_kind": LFSR_KINDS}

    for name in fields:
        option, typ, metavar, text = _SC_OPTIONS[name]
        shown = (defaults or {}).get(name, sc_default(name))
        kwargs = dict(default=None, help=f"{text} (default: {shown}{note})")
        if name in choices:
            kwargs["choices"] = choices[name]
        else:
            kwargs.update(type=typ, metavar=metavar)
        p.add_argument(option, dest=name, **kwargs)
    p.set_defaults(sc_fields=tuple(fields))  # what config_from_args reads


def add_net_options(p: argparse.ArgumentParser, *, required: bool = True, sc_fields=("length", "rng", "seed"),
                    shown: dict | None = None) -> None:
    """``--checkpoint CKPT | --export NPZ``, the SC options and ``--T`` (``shown``: see :func:`add_sc_options`)."""
    src = p.add_mutually_exclusive_group(required=required)
    src.add_argument("--checkpoint", type=Path, metavar="CKPT", help="training checkpoint ('sc-neurocore train -o')")
    src.add_argument("--export", type=Path, metavar="NPZ",
                     help="QuantizedNet export ('sc-neurocore export -o'); it keeps its own SC config")
    add_sc_options(p, sc_fields, note="; --checkpoint only", defaults=shown)
    p.add_argument("--T", type=positive_int, default=None,
                   help=f"timesteps per image (default: the checkpoint's, else {DEFAULT_T})")


def config_from_args(args, **defaults):
    """The SCConfig the options ask for: ``SCConfig()`` changed by the options given (``None``: keep an export's).

    ``defaults`` are used for fields the user did not give (``build``: the board's source).
    """
    from ..sc.contract import SCConfig

    fields = getattr(args, "sc_fields", ())
    changes = dict(defaults)
    for name in fields:
        value = getattr(args, name, None)
        if value is not None:
            changes[name] = value
    if getattr(args, "export", None) is not None:
        given = {k for k in fields if getattr(args, k, None) is not None}
        if given:
            options = ", ".join("--" + k.replace("_", "-") for k in sorted(given))
            raise ValueError(f"an export keeps its own SC config: {options} can only be used with --checkpoint")
        return None
    return SCConfig(**changes)


def net_from_args(args, *, conv: bool = False, **defaults) -> LoadedNet:
    """:func:`load_net` for the options of :func:`add_net_options`; a conv net is refused (:func:`dense_only`)
    unless ``conv``."""
    net = load_net(getattr(args, "checkpoint", None), getattr(args, "export", None),
                   config=config_from_args(args, **defaults), T=getattr(args, "T", None),
                   input_kind="spike" if getattr(args, "input_encoding", None) else None)
    return net if conv else dense_only(net, getattr(args, "checkpoint", None) or getattr(args, "export", None))


def dense_only(net: LoadedNet, path) -> LoadedNet:
    """``net``, or ``ValueError`` (:data:`CONV_UNSUPPORTED`) when some layer is a conv layer: for the commands that
    reach the gateware."""
    if net.qnet.has_conv:
        n = sum(layer.conv is not None for layer in net.qnet.layers)
        raise ValueError(f"{path} holds a conv net ({n} conv layer{'s' if n > 1 else ''}): {CONV_UNSUPPORTED}")
    return net
