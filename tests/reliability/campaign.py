"""The bad-file campaign: every loader of the project against damaged and invalid files, each outcome classified.

Shared by ``tests/reliability/test_bad_files.py`` (hypothesis draws the damage) and
``bench/bad_input_campaign.py`` (a seeded tally for ``docs/reliability.md``).

Loaders (:data:`LOADERS`): ``checkpoint`` (``training.load_checkpoint``), ``export``
(``QuantizedNet.load``), ``vectors`` (``sim.vectors.load_vectors``), ``data`` (``datasets.load_data_file``,
what ``--data FILE.npz`` reads) and ``nir`` (``nir.from_nir`` of a path).  Two kinds of damage:

* byte damage, drawn at random: the file cut at some byte (``truncate``), one bit flipped (``flip``),
  bytes appended (``append``);
* invalid content, one case each (:data:`CASES`): a file that parses but must be refused (another schema
  version, NaN or inf weights, wrong shapes, missing entries, values outside the contract).

:func:`classify` runs a loader on a file and names the outcome (:data:`OUTCOMES`):

``clean error``     one of the bad-input classes the command line turns into exit 2 (``ValueError``,
                    ``TypeError``, ``OSError``) with a message;
``traceback``       any other exception (the command line would print "internal error", exit 70);
``silent``          the loader returned, and what it returned differs from the original file's content
                    (or the case is invalid content, which must never load);
``intact``          byte damage the loader returned from with the original content (a flipped bit in a zip
                    header's padding or in a name the reader does not use): harmless.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

OUTCOMES = ("clean error", "traceback", "silent", "intact")
BYTE_DAMAGE = ("truncate", "flip", "append")
BAD_INPUT = (ValueError, TypeError, OSError)


# ------------------------------------------------------------------------------------------- the originals

def small_qnet(seed: int = 0):
    """A 16-6-4 ``QuantizedNet`` (L=4), weights drawn around +0.2 so that hidden neurons spike."""
    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.sc.contract import SCConfig

    g = np.random.default_rng(seed)
    sizes = (16, 6, 4)
    weights = [g.normal(0.2, 1.0, (b, a)) / np.sqrt(a) * 2 for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [g.normal(0, 0.1, b) for b in sizes[1:]]
    return QuantizedNet.from_float(weights, biases, [0.85, 0.85], [0.5, 0.5], SCConfig(length=4))


def make_originals(folder: Path) -> dict[str, Path]:
    """One good file per loader in ``folder``: ``{loader: path}`` (``nir`` only when the nir package is there)."""
    import importlib.util

    folder = Path(folder)
    qnet = small_qnet()
    out = {"export": folder / "net.npz", "vectors": folder / "vectors.npz", "data": folder / "data.npz"}
    qnet.save(out["export"])
    from sc_neurocore.sim.vectors import make_vectors, save_vectors

    codes = np.random.default_rng(1).integers(0, qnet.config.prob_max + 1, size=(3, qnet.n_input))
    save_vectors(make_vectors(qnet, codes, 3, labels=[0, 1, 2], dataset="campaign"), out["vectors"])
    g = np.random.default_rng(2)
    np.savez(out["data"], x=g.random((5, 16)).astype(np.float32), y=np.arange(5, dtype=np.int64) % 4)
    if importlib.util.find_spec("torch") is not None:
        import torch
        from sc_neurocore.training import SpikingNet, save_checkpoint

        torch.manual_seed(0)
        out["checkpoint"] = folder / "net.pt"
        save_checkpoint(SpikingNet(n_input=16, n_hidden=6, n_output=4), out["checkpoint"], dataset="digits", T=5)
    if importlib.util.find_spec("nir") is not None:
        import nir
        from sc_neurocore.nir import to_nir

        out["nir"] = folder / "net.nir"
        nir.write(out["nir"], to_nir(qnet, T=5))
    return out


# ------------------------------------------------------------------------------------------- the loaders

def _load_checkpoint(p):
    from sc_neurocore.training.checkpoint import load_checkpoint

    return load_checkpoint(p)


def _load_export(p):
    from sc_neurocore.export import QuantizedNet

    return QuantizedNet.load(p)


def _load_vectors(p):
    from sc_neurocore.sim.vectors import load_vectors

    return load_vectors(p)


def _load_data(p):
    from sc_neurocore.datasets import load_data_file

    return load_data_file(p, n_input=16)


def _load_nir(p):
    from sc_neurocore.nir import from_nir

    return from_nir(p)


def _qnet_key(q) -> tuple:
    from dataclasses import asdict, fields

    layers = tuple(tuple(np.asarray(getattr(la, f.name)).tobytes() if f.name in ("weight_q", "bias_q")
                         else repr(getattr(la, f.name)) for f in fields(la)) for la in q.layers)
    return repr(asdict(q.config)), layers


def _content(kind: str, obj) -> tuple:
    """What a loaded object holds, as comparable bytes and reprs (equal content <=> equal keys)."""
    if kind == "checkpoint":
        model, meta = obj
        return (repr(sorted(meta.items())), repr(model.hparams),
                tuple((k, v.numpy().tobytes()) for k, v in model.state_dict().items()))
    if kind == "export":
        return _qnet_key(obj)
    if kind == "vectors":
        e = obj.expected
        arrays = [obj.codes, e.counts, e.prediction] + [a for name in ("sc_counts", "currents", "membranes", "spikes")
                                                        for a in getattr(e, name)]
        return (_qnet_key(obj.qnet), obj.T, repr(obj.meta), None if obj.labels is None else obj.labels.tobytes(),
                tuple(a.tobytes() for a in arrays))
    if kind == "data":
        return tuple(a.tobytes() for a in obj)
    if kind == "nir":
        meta = {k: v for k, v in obj.meta.items() if k != "source"}  # the path read
        return (obj.T, repr(meta), tuple((la.weight.tobytes(), la.bias.tobytes(), la.beta, la.threshold, la.reset)
                                             for la in obj.layers))
    raise ValueError(kind)


LOADERS: dict[str, Callable] = {"checkpoint": _load_checkpoint, "export": _load_export, "vectors": _load_vectors,
                                "data": _load_data, "nir": _load_nir}


@dataclass(frozen=True)
class Outcome:
    outcome: str  #: one of OUTCOMES
    detail: str  #: the exception's class and message, or what was returned


def classify(kind: str, path: Path, original_content=None, *, must_refuse: bool) -> Outcome:
    """Run loader ``kind`` on ``path``; see the module docstring.  ``must_refuse``: the file is invalid content."""
    try:
        obj = LOADERS[kind](path)
    except BAD_INPUT as exc:
        text = str(exc)
        return Outcome("clean error" if text else "traceback", f"{type(exc).__name__}: {text}")
    except Exception as exc:  # noqa: BLE001 - exactly what the campaign looks for
        return Outcome("traceback", f"{type(exc).__name__}: {exc}")
    if must_refuse or original_content is None or _content(kind, obj) != original_content:
        return Outcome("silent", f"loaded a {type(obj).__name__}")
    return Outcome("intact", "loaded, content identical to the original")


def original_content(kind: str, path: Path):
    return _content(kind, LOADERS[kind](path))


# ------------------------------------------------------------------------------------------- byte damage

def damage_bytes(raw: bytes, how: str, a: int, b: int) -> bytes:
    """``raw`` damaged: ``truncate`` keeps ``a % len`` bytes; ``flip`` flips bit ``b % 8`` of byte ``a % len``;
    ``append`` adds ``1 + b % 64`` bytes drawn from seed ``a``."""
    n = len(raw)
    if how == "truncate":
        return raw[: a % n]
    if how == "flip":
        out = bytearray(raw)
        out[a % n] ^= 1 << (b % 8)
        return bytes(out)
    if how == "append":
        return raw + np.random.default_rng(a).integers(0, 256, 1 + b % 64, dtype=np.uint8).tobytes()
    raise ValueError(how)


# ------------------------------------------------------------------------------------------- invalid content

def _npz_edit(src: Path, dst: Path, edit) -> None:
    """Copy the ``.npz`` ``src`` to ``dst`` with ``edit(arrays, meta)`` applied (``meta``: the JSON entry, if any)."""
    with np.load(src) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(bytes(arrays["meta"]).decode()) if "meta" in arrays else None
    before = arrays.get("meta")
    edit(arrays, meta)
    if meta is not None and arrays.get("meta") is before:  # the edit changed the JSON, not the entry
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(dst, **arrays)


def _export_cases():
    def meta_edit(fn):
        return lambda a, m: fn(m)

    return {
        "schema 99": meta_edit(lambda m: m.update(schema=99)),
        "no schema": meta_edit(lambda m: m.pop("schema")),
        "no meta entry": lambda a, m: a.pop("meta"),
        "meta not JSON": lambda a, m: a.update(meta=np.frombuffer(b"{not json", dtype=np.uint8)),
        "NaN weights": lambda a, m: a.update(weight_q_0=np.full(a["weight_q_0"].shape, np.nan)),
        "inf weights": lambda a, m: a.update(weight_q_0=np.full(a["weight_q_0"].shape, np.inf)),
        "float weights": lambda a, m: a.update(weight_q_0=a["weight_q_0"] + 0.5),
        "weight code beyond 2**k-1": lambda a, m: a["weight_q_0"].__setitem__((0, 0), 1 << 20),
        "weights 1-D": lambda a, m: a.update(weight_q_0=a["weight_q_0"].reshape(-1)),
        "layers do not chain": lambda a, m: a.update(weight_q_1=a["weight_q_1"][:, :-1]),
        "bias wrong shape": lambda a, m: a.update(bias_q_0=a["bias_q_0"][:-1]),
        "bias beyond Q8.8": lambda a, m: a["bias_q_0"].__setitem__(0, 1 << 20),
        "missing weight entry": lambda a, m: a.pop("weight_q_1"),
        "beta_q 999": meta_edit(lambda m: m["layers"][0].update(beta_q=999)),
        "threshold 0": meta_edit(lambda m: m["layers"][0].update(threshold_q=0)),
        "threshold NaN": meta_edit(lambda m: m["layers"][0].update(threshold_q=float("nan"))),
        "weight_scale inf": meta_edit(lambda m: m["layers"][0].update(weight_scale=float("inf"))),
        "input_kind wrong": meta_edit(lambda m: m["layers"][1].update(input_kind="prob")),
        "unknown layer key": meta_edit(lambda m: m["layers"][0].update(colour="red")),
        "unknown neuron": meta_edit(lambda m: m["layers"][0].update(neuron="hodgkin")),
        "config length 0": meta_edit(lambda m: m["config"].update(length=0)),
        "config not a dict": meta_edit(lambda m: m.update(config=[1, 2])),
        "no layers": meta_edit(lambda m: m.update(layers=[])),
        "negative scale_mult": meta_edit(lambda m: m["layers"][0].update(scale_mult=-3)),
    }


def _vectors_cases():
    def meta_edit(fn):
        return lambda a, m: fn(m)

    return {
        "schema 99": meta_edit(lambda m: m.update(schema=99)),
        "no meta entry": lambda a, m: a.pop("meta"),
        "codes beyond 2**k-1": lambda a, m: a.update(codes=a["codes"].astype(np.int64) + 1000),
        "negative codes": lambda a, m: a.update(codes=a["codes"].astype(np.int64) - 1000),
        "float codes with NaN": lambda a, m: a.update(codes=np.full(a["codes"].shape, np.nan)),
        "counts wrong shape": lambda a, m: a.update(counts=a["counts"][:, :-1]),
        "trace wrong shape": lambda a, m: a.update(spikes_0=a["spikes_0"][:-1]),
        "missing trace entry": lambda a, m: a.pop("membranes_1"),
        "missing qnet entry": lambda a, m: a.pop("qnet"),
        "qnet bytes truncated": lambda a, m: a.update(qnet=a["qnet"][: len(a["qnet"]) // 2]),
        "T 0": meta_edit(lambda m: m.update(T=0)),
        "n_images disagrees": meta_edit(lambda m: m.update(n_images=m["n_images"] + 1)),
        "sizes disagree": meta_edit(lambda m: m.update(sizes=[1, 2, 3])),
        "n_layers disagrees": meta_edit(lambda m: m.update(n_layers=5)),
    }


def _data_cases():
    def with_x(fn):
        return lambda a, m: a.update(x=fn(a["x"]))

    return {
        "x NaN": with_x(lambda x: np.where(np.arange(x.size).reshape(x.shape) == 3, np.nan, x)),
        "x inf": with_x(lambda x: np.where(np.arange(x.size).reshape(x.shape) == 3, np.inf, x)),
        "x beyond [0, 1]": with_x(lambda x: x * 3),
        "x negative": with_x(lambda x: x - 1),
        "x wrong width": with_x(lambda x: x[:, :-1]),
        "x spike raster 3-D": with_x(lambda x: np.stack([x, x]) > 0.5),
        "x strings": with_x(lambda x: x.astype(str)),
        "x empty": with_x(lambda x: x[:0]),
        "y negative": lambda a, m: a.update(y=-a["y"] - 1),
        "y not whole": lambda a, m: a.update(y=a["y"] + 0.5),
        "y wrong length": lambda a, m: a.update(y=a["y"][:-1]),
        "y 2-D": lambda a, m: a.update(y=a["y"][:, None]),
        "no y": lambda a, m: a.pop("y"),
        "no x": lambda a, m: a.pop("x"),
    }


def _checkpoint_cases():
    import torch

    def rec(fn):
        return fn

    def first_weight(d):
        return next(k for k, v in d["state_dict"].items() if v.ndim == 2)

    def set_value(value):
        def fn(d):
            d["state_dict"][first_weight(d)].view(-1)[0] = value
        return fn

    return {
        "version 2": rec(lambda d: d.update(version=2)),
        "no version": rec(lambda d: d.pop("version")),
        "format wrong": rec(lambda d: d.update(format="something-else")),
        "NaN weight": set_value(float("nan")),
        "inf weight": set_value(float("inf")),
        "NaN weight, digest updated": "rehash:" + "nan",
        "inf weight, digest updated": "rehash:" + "inf",
        "weight edited, digest kept": set_value(123.0),
        "wrong weight shape": rec(lambda d: d["state_dict"].update({first_weight(d): torch.zeros(3, 3)})),
        "wrong weight shape, digest updated": "rehash:shape",
        "missing tensor, digest updated": "rehash:missing",
        "extra tensor, digest updated": "rehash:extra",
        "no architecture": rec(lambda d: d.pop("architecture")),
        "unknown architecture": rec(lambda d: d.update(architecture="Transformer")),
        "no hparams": rec(lambda d: d.pop("hparams")),
        "no state_dict": rec(lambda d: d.pop("state_dict")),
        "state_dict a list": rec(lambda d: d.update(state_dict=[1, 2])),
        "hparams a string": rec(lambda d: d.update(hparams="n_hidden=6")),
        "n_hidden -3, digest updated": "rehash:n_hidden",
        "unknown hparam, digest updated": "rehash:unknown_hparam",
        "surrogate unknown, digest updated": "rehash:surrogate",
        "meta a list, digest updated": "rehash:meta",
        "not a dict": rec(lambda d: d.clear() or d.update(x=1)),
    }


def _rehash_edit(what: str):
    """Edits made with the digest recomputed (a file written by a tool that does not know the rules)."""
    import torch

    def first_weight(d):
        return next(k for k, v in d["state_dict"].items() if v.ndim == 2)

    edits = {
        "nan": lambda d: d["state_dict"][first_weight(d)].view(-1).__setitem__(0, float("nan")),
        "inf": lambda d: d["state_dict"][first_weight(d)].view(-1).__setitem__(0, float("inf")),
        "shape": lambda d: d["state_dict"].update({first_weight(d): torch.zeros(3, 3)}),
        "missing": lambda d: d["state_dict"].pop(first_weight(d)),
        "extra": lambda d: d["state_dict"].update(extra=torch.zeros(2)),
        "n_hidden": lambda d: d["hparams"].update(n_hidden=-3),
        "unknown_hparam": lambda d: d["hparams"].update(colour="red"),
        "surrogate": lambda d: d["hparams"].update(surrogate_fn={"name": "nope", "params": {}}),
        "meta": lambda d: d.update(meta=[1, 2]),
    }
    return edits[what]


def _nir_cases():
    """Graph edits (applied to the nir.NIRGraph read from the original, then written again)."""
    def node(name, attr, fn):
        def edit(g):
            nd = g.nodes[name]
            setattr(nd, attr, fn(np.asarray(getattr(nd, attr), dtype=np.float64)))
        return edit

    return {
        "NaN weight": node("fc0", "weight", lambda w: np.where(np.arange(w.size).reshape(w.shape) == 0, np.nan, w)),
        "inf bias": node("fc0", "bias", lambda b: np.where(np.arange(b.size) == 0, np.inf, b)),
        "weight wrong width": node("fc1", "weight", lambda w: w[:, :-1]),
        "weight 1-D": node("fc0", "weight", lambda w: w.reshape(-1)),
        "tau negative": node("lif0", "tau", lambda t: -t),
        "tau NaN": node("lif0", "tau", lambda t: t * np.nan),
        "threshold 0": node("lif1", "v_threshold", lambda t: t * 0),
        "v_reset 1": node("lif0", "v_reset", lambda v: v + 1),
        "no Output node": lambda g: (g.nodes.pop("output"), g.edges.remove(("lif1", "output"))),
        "edge to nowhere": lambda g: g.edges.append(("lif1", "ghost")),
        "a cycle": lambda g: g.edges.append(("lif1", "fc0")),
        "T 0 in metadata": lambda g: g.metadata.update(T=0),
        "dt negative in metadata": lambda g: g.metadata.update(dt=-1.0),
        "reset unknown in metadata": lambda g: g.nodes["lif0"].metadata.update(reset="hard"),
    }


CASES = {"export": _export_cases, "vectors": _vectors_cases, "data": _data_cases, "checkpoint": _checkpoint_cases,
         "nir": _nir_cases}


def write_case(kind: str, name: str, original: Path, dst: Path) -> Path:
    """Write invalid-content case ``name`` of loader ``kind`` (from ``original``) to ``dst``."""
    edit = CASES[kind]()[name]
    if kind in ("export", "vectors", "data"):
        _npz_edit(original, dst, edit)
    elif kind == "checkpoint":
        import torch
        from sc_neurocore.training.checkpoint import checkpoint_digest

        d = torch.load(original, weights_only=True)
        if isinstance(edit, str):
            _rehash_edit(edit.split(":", 1)[1])(d)
            if {"architecture", "hparams", "meta", "state_dict"} <= set(d) and isinstance(d["state_dict"], dict):
                d["digest"] = checkpoint_digest(d)
        else:
            edit(d)
        torch.save(d, dst)
    elif kind == "nir":
        import nir

        g = nir.read(original, type_check=False)
        edit(g)
        nir.write(dst, g)
    else:
        raise ValueError(kind)
    return dst


def is_zip(raw: bytes) -> bool:
    import io

    return zipfile.is_zipfile(io.BytesIO(raw))
