"""Training yardsticks: the documented digits task with sc-neurocore and its peers, side by side.

The task (docs, "SNN Training with Surrogate Gradients"): scikit-learn 8x8 digits, pixels / 16,
``train_test_split(test_size=0.2, random_state=42)``; a 64 -> 128 -> 10 net of LIF neurons
(beta = 0.9, threshold 1, subtract reset, arctangent surrogate alpha = 2), the image fed as a
constant current at each of T = 25 steps, cross-entropy on the output spike counts, Adam lr 2e-3,
batch 64, 10 epochs.

Each library builds that net with its own public API, configured to the same dynamics:

``u[t] = beta * v[t-1] + W x[t] + b;  s[t] = (u[t] > 1);  v[t] = u[t] - s[t]`` (reset detached)

* sc-neurocore -- ``SpikingNet`` trained with ``train_epoch`` (the library's own loop).
* snnTorch     -- ``snn.Leaky(beta=0.9, spike_grad=surrogate.atan(alpha=2.0),
  reset_mechanism="subtract", reset_delay=False)``.  ``reset_delay=False`` subtracts in the step
  that fires; the default ``True`` subtracts one step later, *after* the decay (an effective reset
  of theta / beta), which is a different neuron.
* SpikingJelly -- ``LIFNode(tau=10., decay_input=False, v_reset=None, surrogate_function=ATan(2.),
  detach_reset=True, step_mode="m")`` with multi-step ``layer.Linear``: exactly the update above.
* Norse        -- ``LIFBoxCell`` (LIF without a synaptic current) with ``dt * tau_mem_inv = 0.1``
  (dt = 1 ms, tau_mem = 10 ms), ``v_th = 1``, a detached subtract ``reset_method``.  Norse's
  Euler step ``v += dt/tau (I - v)`` scales the input by dt/tau = 0.1, so the currents are
  multiplied by 10 before the cell.  Norse 1.1 has no arctangent surrogate: ``method="super"``
  (SuperSpike, ``1/(1+|x|)^2``; Norse ignores its alpha) is the nearest of its methods.

The peers' nets are written layer by layer (one matmul per layer over all T x batch rows, the
neuron loop over T), the fastest form their APIs allow, and trained by one loop shared by all
peers.  Measured per library: validation accuracy after the last epoch (mean +- std over seeds),
seconds per epoch (median over all seeds and epochs), inference samples/s at batch 256 (median of
interleaved repeats, ``torch.no_grad``).  Libraries are interleaved epoch by epoch (order rotated)
so noise on a shared machine hits all of them alike; comparisons are ratios.

Run: ``python bench/bench_training.py`` (``--quick`` for a short smoke run); writes
``docs/bench/training.md`` and ``docs/img/training_speed.png``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "training"
SCRIPT = "bench/bench_training.py"

# The documented task.
N_IN, N_HIDDEN, N_OUT = 64, 128, 10
T_STEPS = 25
BETA = 0.9
THETA = 1.0
ALPHA = 2.0
LR = 2e-3
BATCH = 64
EPOCHS = 10
SEEDS = 3
INFER_BATCH = 256

# Must-show targets for sc-neurocore (issue 2).
TARGET_ACC = 97.0  # % mean over seeds
TARGET_TRAIN_RATIO = 0.5  # ours s/epoch <= 0.5 x fastest peer
TARGET_INFER_RATIO = 2.0  # ours samples/s >= 2 x best peer


def _torch():
    import torch

    return torch


# --------------------------------------------------------------------------- the libraries


@dataclass
class Lib:
    """One library's way to build, run and train the task's net."""

    key: str
    label: str
    dist: str  # distribution name, for the version
    build: Callable  # (n_hidden, T) -> model
    forward: Callable  # (model, x_seq) -> spike counts (B, n_out)
    train_epoch: Callable | None = None  # (model, loader, opt, T) -> None; None: the shared loop
    note: str = ""
    peer: bool = True
    static_input: bool = False  # inference input as a stride-0 expand over T (the library's own way)
    version: str = field(default="")


def _counts(out):
    """Spike counts from whatever a forward returns (a tensor or a tuple led by the counts)."""
    return out[0] if isinstance(out, (tuple, list)) else out


# -- sc-neurocore ------------------------------------------------------------------------------


def ours_status() -> str | None:
    """``None`` when ``sc_neurocore.training`` provides what the harness needs, else why not."""
    try:
        from sc_neurocore.training import SpikingNet, atan_surrogate, train_epoch  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - any import failure means "pending"
        return f"pending: `from sc_neurocore.training import SpikingNet, train_epoch, atan_surrogate` fails ({type(exc).__name__}: {exc})"
    return None


def ours_kernel_status() -> str:
    """Which LIF loop sc-neurocore used (its optional compiled kernel, if the module has one)."""
    try:
        from sc_neurocore.training import native
    except Exception:  # noqa: BLE001 - an older or partial package: nothing to say
        return ""
    status = getattr(native, "status", "")
    status = status() if callable(status) else status
    return str(status).replace(str(Path.home()), "~")


def _ours_build(n_hidden: int, T: int):
    from sc_neurocore.training import SpikingNet, atan_surrogate

    return SpikingNet(N_IN, n_hidden, N_OUT, n_layers=1, beta=BETA, surrogate_fn=atan_surrogate)


def _ours_forward(model, x_seq):
    return _counts(model(x_seq))


def _ours_train_epoch(model, loader, opt, T):
    torch = _torch()
    from sc_neurocore.training import train_epoch

    train_epoch(model, loader, opt, T, device=torch.device("cpu"))


# -- snnTorch ----------------------------------------------------------------------------------


def _snntorch_build(n_hidden: int, T: int, reset_delay: bool = False):
    torch = _torch()
    import snntorch as snn
    from snntorch import surrogate

    class SnnTorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            grad = surrogate.atan(alpha=ALPHA)
            kw = dict(beta=BETA, threshold=THETA, spike_grad=grad, reset_mechanism="subtract", reset_delay=reset_delay)
            self.fc1 = torch.nn.Linear(N_IN, n_hidden)
            self.lif1 = snn.Leaky(**kw)
            self.fc2 = torch.nn.Linear(n_hidden, N_OUT)
            self.lif2 = snn.Leaky(**kw)

        def _run(self, lif, cur):
            mem = lif.init_leaky()
            spikes = []
            for t in range(cur.shape[0]):
                spk, mem = lif(cur[t], mem)
                spikes.append(spk)
            return torch.stack(spikes)

        def forward(self, x_seq):
            s1 = self._run(self.lif1, self.fc1(x_seq))
            s2 = self._run(self.lif2, self.fc2(s1))
            return s2.sum(0)

    return SnnTorchNet()


# -- SpikingJelly ------------------------------------------------------------------------------


def _sj_build(n_hidden: int, T: int):
    torch = _torch()
    from spikingjelly.activation_based import layer, neuron, surrogate

    def lif():
        # tau = 10, decay_input=False: v <- v - v/tau + x = 0.9 v + x; v_reset=None: subtract reset.
        return neuron.LIFNode(
            tau=1.0 / (1.0 - BETA),
            decay_input=False,
            v_threshold=THETA,
            v_reset=None,
            surrogate_function=surrogate.ATan(alpha=ALPHA),
            detach_reset=True,
            step_mode="m",
        )

    return torch.nn.Sequential(
        layer.Linear(N_IN, n_hidden, step_mode="m"), lif(), layer.Linear(n_hidden, N_OUT, step_mode="m"), lif()
    )


def _sj_forward(model, x_seq):
    from spikingjelly.activation_based import functional

    functional.reset_net(model)
    return model(x_seq).sum(0)


# -- Norse -------------------------------------------------------------------------------------

NORSE_DT = 1e-3  # s
NORSE_TAU_MEM_INV = (1.0 - BETA) / NORSE_DT  # 1/s: dt / tau_mem = 0.1
NORSE_GAIN = 1.0 / (NORSE_DT * NORSE_TAU_MEM_INV)  # the Euler step scales the input by dt/tau


def _detached_subtract(z, v, reset, th):
    """A Norse ``reset_method``: subtract the threshold, the reset kept out of the graph."""
    return v - z.detach() * th


def _norse_build(n_hidden: int, T: int):
    torch = _torch()
    import norse.torch as norse

    p = norse.LIFBoxParameters(
        tau_mem_inv=torch.as_tensor(NORSE_TAU_MEM_INV),
        v_leak=torch.as_tensor(0.0),
        v_th=torch.as_tensor(THETA),
        v_reset=torch.as_tensor(0.0),
        method="super",
        alpha=torch.as_tensor(ALPHA),
        reset_method=_detached_subtract,
    )

    class NorseNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(N_IN, n_hidden)
            self.lif1 = norse.LIFBoxCell(p, dt=NORSE_DT)
            self.fc2 = torch.nn.Linear(n_hidden, N_OUT)
            self.lif2 = norse.LIFBoxCell(p, dt=NORSE_DT)

        @staticmethod
        def _run(cell, cur):
            state = None
            spikes = []
            for t in range(cur.shape[0]):
                z, state = cell(cur[t], state)
                spikes.append(z)
            return torch.stack(spikes)

        def forward(self, x_seq):
            s1 = self._run(self.lif1, self.fc1(x_seq) * NORSE_GAIN)
            s2 = self._run(self.lif2, self.fc2(s1) * NORSE_GAIN)
            return s2.sum(0)

    return NorseNet()


def _plain_forward(model, x_seq):
    return model(x_seq)


def all_libs() -> list[Lib]:
    return [
        Lib(
            "ours",
            "sc-neurocore",
            "sc-neurocore",
            _ours_build,
            _ours_forward,
            _ours_train_epoch,
            note="`SpikingNet` + `train_epoch` (the library's own loop: the (B, 64) image expanded over T, "
            "which `SpikingNet` runs as one constant current); inference on the same expanded view",
            peer=False,
            static_input=True,
        ),
        Lib(
            "ours-seq",
            "sc-neurocore, (T,B,64) input",
            "sc-neurocore",
            _ours_build,
            _ours_forward,
            None,
            note="the same `SpikingNet` fed the peers' input, a contiguous repeated (T, B, 64) tensor, by the "
            "peers' loop (no constant-current shortcut; not the yardstick row)",
            peer=False,
        ),
        Lib("snntorch", "snnTorch", "snntorch", _snntorch_build, _plain_forward, note="`snn.Leaky`, reset_delay=False"),
        Lib(
            "spikingjelly",
            "SpikingJelly",
            "spikingjelly",
            _sj_build,
            _sj_forward,
            note="`LIFNode` + `layer.Linear`, multi-step",
        ),
        Lib(
            "norse",
            "Norse",
            "norse",
            _norse_build,
            _plain_forward,
            note="`LIFBoxCell`, SuperSpike surrogate, x10 input gain",
        ),
    ]


def lib_status(lib: Lib) -> str | None:
    """``None`` when the library can run here, else the reason it cannot."""
    if not lib.peer:
        return ours_status()
    modules = {"snntorch": "snntorch", "spikingjelly": "spikingjelly.activation_based", "norse": "norse.torch"}
    try:
        __import__(modules[lib.key])
    except Exception as exc:  # noqa: BLE001
        return f"not installed ({type(exc).__name__}: {exc})"
    return None


# --------------------------------------------------------------------------- data, training, evaluation


def load_data():
    """``(X_tr, X_te, y_tr, y_te)`` as torch tensors: the documented split."""
    torch = _torch()
    try:
        from sc_neurocore.datasets import load_digits_split
    except ImportError:  # the package not installed: the same split by hand
        import numpy as np
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        def load_digits_split():
            d = load_digits()
            x = (d.data / 16.0).astype(np.float32)
            return train_test_split(x, d.target.astype(np.int64), test_size=0.2, random_state=42)

    x_tr, x_te, y_tr, y_te = load_digits_split()
    return torch.from_numpy(x_tr), torch.from_numpy(x_te), torch.from_numpy(y_tr), torch.from_numpy(y_te)


def shared_train_epoch(lib: Lib, model, loader, opt, T: int) -> None:
    """The peers' loop: repeat the image over T, forward, cross-entropy on the spike counts, Adam step."""
    torch = _torch()
    F = torch.nn.functional
    model.train()
    for xb, yb in loader:
        x_seq = xb.unsqueeze(0).repeat(T, 1, 1)
        loss = F.cross_entropy(lib.forward(model, x_seq), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def predict_counts(lib: Lib, model, x, T: int):
    torch = _torch()
    model.eval()
    with torch.no_grad():
        return lib.forward(model, x.unsqueeze(0).repeat(T, 1, 1))


def accuracy(lib: Lib, model, x, y, T: int) -> float:
    return 100.0 * (predict_counts(lib, model, x, T).argmax(1) == y).float().mean().item()


def linears(model):
    torch = _torch()
    return [m for m in model.modules() if isinstance(m, torch.nn.Linear)]


def copy_weights(src, dst) -> bool:
    """Copy the Linear layers of ``src`` into ``dst`` in order; ``False`` if their shapes differ."""
    torch = _torch()
    a, b = linears(src), linears(dst)
    if len(a) != len(b) or any(x.weight.shape != y.weight.shape for x, y in zip(a, b)):
        return False
    with torch.no_grad():
        for x, y in zip(a, b):
            y.weight.copy_(x.weight)
            if x.bias is not None and y.bias is not None:
                y.bias.copy_(x.bias)
    return True


# --------------------------------------------------------------------------- the run


@dataclass
class Result:
    acc: list[float] = field(default_factory=list)  # per seed, %
    epoch_s: list[float] = field(default_factory=list)  # every epoch of every seed
    infer_s: list[float] = field(default_factory=list)  # per repeat, one batch
    error: str = ""


def run(args) -> dict:
    torch = _torch()
    torch.set_num_threads(args.threads)
    libs = [lib for lib in all_libs() if lib.key in args.libs]
    status = {lib.key: lib_status(lib) for lib in libs}
    active = [lib for lib in libs if status[lib.key] is None]
    for lib in libs:
        lib.version = common.package_version(lib.dist) or "-"
    x_tr, x_te, y_tr, y_te = load_data()
    T = args.T
    results = {lib.key: Result() for lib in active}
    kept = {}  # the first seed's trained models
    order_shift = 0
    for seed in range(args.seeds):
        models, opts, loaders = {}, {}, {}
        for lib in list(active):
            try:
                torch.manual_seed(seed)
                model = lib.build(args.hidden, T)
            except Exception as exc:  # noqa: BLE001 - report the library as failed, carry on
                results[lib.key].error = f"build failed: {type(exc).__name__}: {exc}"
                traceback.print_exc()
                active.remove(lib)
                continue
            models[lib.key] = model
            opts[lib.key] = torch.optim.Adam(model.parameters(), lr=LR)
            gen = torch.Generator().manual_seed(seed)
            loaders[lib.key] = torch.utils.data.DataLoader(
                torch.utils.data.TensorDataset(x_tr, y_tr), batch_size=BATCH, shuffle=True, generator=gen
            )
        for _epoch in range(args.epochs):
            k = order_shift % max(1, len(active))
            order_shift += 1
            for lib in active[k:] + active[:k]:
                if lib.key not in models:
                    continue
                t0 = time.perf_counter()
                try:
                    if lib.train_epoch is not None:
                        lib.train_epoch(models[lib.key], loaders[lib.key], opts[lib.key], T)
                    else:
                        shared_train_epoch(lib, models[lib.key], loaders[lib.key], opts[lib.key], T)
                except Exception as exc:  # noqa: BLE001
                    results[lib.key].error = f"training failed: {type(exc).__name__}: {exc}"
                    traceback.print_exc()
                    del models[lib.key]
                    continue
                results[lib.key].epoch_s.append(time.perf_counter() - t0)
        for key, model in models.items():
            lib = next(lb for lb in active if lb.key == key)
            results[key].acc.append(accuracy(lib, model, x_te, y_te, T))
            if seed == 0:
                kept[key] = model
        print(
            f"seed {seed}: " + ", ".join(f"{k} {results[k].acc[-1]:.2f}%" for k in models if results[k].acc),
            flush=True,
        )

    # Inference: batch 256 (or the whole test set when smaller), no grad, interleaved repeats.
    xb = x_te[: args.infer_batch]
    x_seq = xb.unsqueeze(0).repeat(T, 1, 1).contiguous()
    x_static = xb.unsqueeze(0).expand(T, *xb.shape)  # the same values, a stride-0 view
    fns = {}
    for key, model in kept.items():
        lib = next(lb for lb in active if lb.key == key)
        model.eval()

        def fn(lib=lib, model=model, x=x_static if lib.static_input else x_seq):
            with torch.no_grad():
                lib.forward(model, x)

        fns[key] = fn
    if fns:
        for fn in fns.values():  # warm-up
            fn()
        number = {key: common.calibrate(fn, args.infer_block) for key, fn in fns.items()}
        times = common.interleaved(fns, repeats=args.infer_repeats, warmup=1, number=number)
        for key, ts in times.items():
            results[key].infer_s = ts

    equivalence = check_equivalence(libs, active, kept, x_te, y_te, T, args.hidden)
    profile = profile_ours(active, kept, x_tr, y_tr, T, args.hidden) if args.profile else ""
    return dict(
        libs=libs,
        status=status,
        results=results,
        equivalence=equivalence,
        profile=profile,
        kernel=ours_kernel_status() if "ours" in results else "",
        infer_batch=int(xb.shape[0]),
        T=T,
    )


def check_equivalence(libs, active, kept, x_te, y_te, T, n_hidden) -> list[tuple]:
    """Same trained weights in every library: do the output spike counts agree with the reference?

    The reference is the first seed's sc-neurocore net when it ran, else SpikingJelly's.
    Rows: (label, samples with identical counts %, same prediction %, accuracy %).
    """
    torch = _torch()
    ref_key = next((k for k in ("ours", "spikingjelly", "snntorch", "norse") if k in kept), None)
    if ref_key is None:
        return []
    by_key = {lib.key: lib for lib in libs}
    ref_lib, ref_model = by_key[ref_key], kept[ref_key]
    ref = predict_counts(ref_lib, ref_model, x_te, T)
    rows = [(f"{ref_lib.label} (reference, trained weights)", 100.0, 100.0, _acc(ref, y_te))]
    variants = [(lib.label, lib) for lib in active if lib.key not in (ref_key, "ours-seq")]
    if any(lib.key == "snntorch" for lib in active):
        delayed = Lib(
            "snntorch-delay",
            "snnTorch, reset_delay=True (default)",
            "snntorch",
            lambda h, T: _snntorch_build(h, T, reset_delay=True),
            _plain_forward,
        )
        variants.append((delayed.label, delayed))
    for label, lib in variants:
        try:
            torch.manual_seed(0)
            model = lib.build(n_hidden, T)
            if not copy_weights(ref_model, model):
                rows.append((label, "n/a", "n/a", "n/a"))
                continue
            counts = predict_counts(lib, model, x_te, T)
        except Exception as exc:  # noqa: BLE001
            rows.append((label, f"failed: {type(exc).__name__}", "", ""))
            continue
        same = 100.0 * (counts == ref).all(1).float().mean().item()
        pred = 100.0 * (counts.argmax(1) == ref.argmax(1)).float().mean().item()
        rows.append((label, same, pred, _acc(counts, y_te)))
    return rows


def _acc(counts, y) -> float:
    return 100.0 * (counts.argmax(1) == y).float().mean().item()


def profile_ours(active, kept, x_tr, y_tr, T, n_hidden: int, rows: int = 12) -> str:
    """The top operators of one ``train_epoch`` of sc-neurocore (torch.profiler, self CPU time)."""
    if "ours" not in kept:
        return ""
    torch = _torch()
    from torch.profiler import ProfilerActivity, profile

    lib = next(lb for lb in active if lb.key == "ours")
    torch.manual_seed(0)
    model = lib.build(n_hidden, T)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x_tr, y_tr),
        batch_size=BATCH,
        shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )
    lib.train_epoch(model, loader, opt, T)  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        lib.train_epoch(model, loader, opt, T)
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows)


# --------------------------------------------------------------------------- the report


def _fmt_acc(xs) -> str:
    if not xs:
        return "-"
    m, s = common.mean_std(xs)
    return f"{m:.2f} ± {s:.2f}"


def summarize(out: dict) -> dict:
    """Per library: accuracy mean, s/epoch median and min, samples/s median and best."""
    summ = {}
    for key, r in out["results"].items():
        acc_m, acc_s = common.mean_std(r.acc) if r.acc else (float("nan"), float("nan"))
        ep = common.median(r.epoch_s) if r.epoch_s else float("nan")
        ep_min = min(r.epoch_s) if r.epoch_s else float("nan")
        inf = out["infer_batch"] / common.median(r.infer_s) if r.infer_s else float("nan")
        inf_best = out["infer_batch"] / min(r.infer_s) if r.infer_s else float("nan")
        summ[key] = dict(acc=acc_m, acc_std=acc_s, epoch=ep, epoch_min=ep_min, infer=inf, infer_best=inf_best)
    return summ


def report(out: dict, args, argv) -> str:
    summ = summarize(out)
    libs = out["libs"]
    peers = [lib for lib in libs if lib.peer and lib.key in summ and not math.isnan(summ[lib.key]["epoch"])]
    ours = summ.get("ours")
    cmd = common.command_line(SCRIPT, argv)
    lines = ["## Training: the documented digits task, sc-neurocore vs snnTorch, SpikingJelly, Norse", ""]
    if args.quick:
        lines += ["**Quick run** (`--quick`): too few seeds/epochs/repeats for the yardstick; rerun without it.", ""]
    info = common.machine_info()
    lines += [
        f"Command: `{cmd}` (from the repository root; `nox -s bench` runs it through `bench/run_all.py`).",
        f"Run {common.utc_now()} on {info['cpu']} ({info['cores']} cores), Python {info['python']}, "
        f"torch {common.package_version('torch')}, {args.threads} torch thread(s), commit {common.git_revision()}.",
        "",
        f"Task: 64 → {args.hidden} → 10 LIF, T = {out['T']}, β = 0.9, θ = 1, subtract reset, atan surrogate α = 2, "
        f"Adam lr 2e-3, batch 64, {args.epochs} epochs, {args.seeds} seed(s), "
        "`train_test_split(test_size=0.2, random_state=42)` (1437 train / 360 validation), image repeated over T "
        "as a direct current, cross-entropy on output spike counts. Accuracy: validation, after the last epoch. "
        f"s/epoch: median over all seeds × epochs (min in brackets), epochs of all libraries interleaved. "
        f"Inference: batch {out['infer_batch']}, T = {out['T']}, `torch.no_grad`, median of {args.infer_repeats} "
        f"interleaved repeats (best in brackets), each repeat a block of forwards lasting about {args.infer_block} s "
        "so that a lost time slice weighs alike on fast and slow libraries.",
        "",
    ]
    if "ours" in out["results"] and out.get("kernel"):
        lines += [f"sc-neurocore's compiled LIF loop (`sc_neurocore.training.native.status`): {out['kernel']}.", ""]
    header = ["library", "version", "accuracy % (mean ± std)", "s/epoch", "inference samples/s", "how"]
    rows = []
    for lib in libs:
        st = out["status"].get(lib.key)
        r = out["results"].get(lib.key)
        if st is not None:
            rows.append([lib.label, lib.version, st, "-", "-", lib.note])
            continue
        if r is None or r.error:
            rows.append([lib.label, lib.version, f"error: {r.error if r else '?'}", "-", "-", lib.note])
            continue
        s = summ[lib.key]
        rows.append(
            [
                lib.label,
                lib.version,
                _fmt_acc(r.acc),
                f"{s['epoch']:.3f} ({s['epoch_min']:.3f})",
                f"{s['infer']:,.0f} ({s['infer_best']:,.0f})",
                lib.note,
            ]
        )
    lines += [common.md_table(header, rows), ""]

    # Ratios and targets.
    if ours and not math.isnan(ours["epoch"]) and peers:
        rrows = []
        for lib in peers:
            p = summ[lib.key]
            rrows.append(
                [
                    lib.label,
                    f"{ours['epoch'] / p['epoch']:.2f}× ({ours['epoch_min'] / p['epoch_min']:.2f}×)",
                    f"{ours['infer'] / p['infer']:.2f}× ({ours['infer_best'] / p['infer_best']:.2f}×)",
                    f"{ours['acc'] - p['acc']:+.2f}",
                ]
            )
        lines += [
            "Ratios sc-neurocore / peer (of the medians; of the min times in brackets; same run):",
            "",
            common.md_table(
                [
                    "peer",
                    "s/epoch ratio (lower is faster)",
                    "inference ratio (higher is faster)",
                    "accuracy difference (points)",
                ],
                rrows,
            ),
            "",
        ]
        fastest = min(peers, key=lambda lb: summ[lb.key]["epoch"])
        best = max(peers, key=lambda lb: summ[lb.key]["infer"])
        tr = ours["epoch"] / summ[fastest.key]["epoch"]
        ir = ours["infer"] / summ[best.key]["infer"]
        trows = [
            ["accuracy ≥ 97 % (mean)", f"{ours['acc']:.2f} %", _ok(ours["acc"] >= TARGET_ACC)],
            [f"s/epoch ≤ 0.5 × fastest peer ({fastest.label})", f"{tr:.2f}×", _ok(tr <= TARGET_TRAIN_RATIO)],
            [f"inference ≥ 2 × best peer ({best.label})", f"{ir:.2f}×", _ok(ir >= TARGET_INFER_RATIO)],
        ]
        lines += ["Targets (issue 2):", "", common.md_table(["target", "measured", ""], trows), ""]
    elif "ours" in out["status"] and out["status"]["ours"] is not None:
        lines += ["sc-neurocore: " + out["status"]["ours"] + "; ratios and targets follow when it imports.", ""]

    # Per seed.
    seed_rows = []
    for lib in libs:
        r = out["results"].get(lib.key)
        if r and r.acc:
            seed_rows.append([lib.label] + [f"{a:.2f}" for a in r.acc])
    if seed_rows:
        n = max(len(r) for r in seed_rows) - 1
        lines += [
            "Validation accuracy per seed (%):",
            "",
            common.md_table(["library"] + [f"seed {i}" for i in range(n)], seed_rows),
            "",
        ]

    if out["equivalence"]:
        lines += [
            "Same dynamics? The first seed's trained weights loaded into every library's net, output spike counts "
            "on the 360 validation images compared with the reference:",
            "",
            common.md_table(
                ["net", "identical counts %", "same prediction %", "accuracy %"],
                [[a] + [f"{v:.2f}" if isinstance(v, float) else v for v in rest] for a, *rest in out["equivalence"]],
            ),
            "",
        ]
    lines += [
        "Notes:",
        "",
        "- snnTorch: `reset_delay=False` makes `Leaky` subtract the threshold in the step that fires (the contract's "
        "order); its default subtracts one step later after the decay, i.e. an effective reset of θ/β (row above).",
        "- SpikingJelly: `tau=10, decay_input=False, v_reset=None` is `v ← 0.9 v + x`, subtract reset; heaviside is "
        "`≥ 0` instead of `> 0` (differs only at exact ties).",
        "- Norse: `LIFBoxCell` integrates `v += dt·τ⁻¹(I − v)`, so currents are scaled by 10 before the cell "
        "(dt·τ⁻¹ = 0.1); rounding of `v + 0.1(10 I − v)` vs `0.9 v + I` can flip a spike at a tie. Norse 1.1 "
        "offers no arctangent surrogate: SuperSpike `1/(1+|x|)²` (same peak 1 at threshold, about 1.3× wider "
        "half-width than atan α=2) is used; the reset is a detached subtraction through `reset_method`.",
        "- snnTorch with `reset_delay=False` still differs when a neuron's membrane stays above θ after its reset "
        "(pre-reset > 2θ, strongly driven neurons): its next step subtracts θ before testing and so fires only "
        "above 2θ — fewer output spikes on those images (the identical-counts column), same predictions.",
        "- The peers' nets run layer by layer (one matmul per layer over all T·batch rows) on a contiguous "
        "(T, batch, 64) tensor. sc-neurocore's `train_epoch` expands the (batch, 64) image over T (a stride-0 view) "
        "and `SpikingNet` then computes the first layer's current once for all T steps; the "
        '"(T,B,64) input" row is the same net without that shortcut, fed exactly what the peers get.',
        "",
    ]
    if out["profile"]:
        lines += [
            "Where sc-neurocore's `train_epoch` spends its time (torch.profiler, one epoch, self CPU):",
            "",
            "```",
            out["profile"].rstrip(),
            "```",
            "",
        ]
    if args.plot:
        lines += [f"![training speed](../img/{Path(args.plot).name})", ""]
    return "\n".join(lines)


def _ok(flag: bool) -> str:
    return "met" if flag else "**not met**"


def plot(out: dict, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    summ = summarize(out)
    labels = [lib.label for lib in out["libs"] if lib.key in summ and lib.key != "ours-seq"]
    keys = [lib.key for lib in out["libs"] if lib.key in summ and lib.key != "ours-seq"]
    if not keys:
        return False
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    colors = ["tab:red" if k == "ours" else "tab:gray" for k in keys]
    axes[0].barh(labels, [summ[k]["epoch"] for k in keys], color=colors)
    axes[0].set_xlabel("s / epoch (median, lower is better)")
    axes[1].barh(labels, [summ[k]["infer"] / 1000 for k in keys], color=colors)
    axes[1].set_xlabel(f"inference k samples/s, batch {out['infer_batch']} (higher is better)")
    for ax in axes:
        ax.invert_yaxis()
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"digits 64-128-10, T={out['T']}, 1 CPU thread")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# --------------------------------------------------------------------------- entry point


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog=SCRIPT)
    ap.add_argument("--quick", action="store_true", help="1 seed, 2 epochs, 5 inference repeats")
    ap.add_argument("--seeds", type=int, default=None, help=f"seeds (default {SEEDS})")
    ap.add_argument("--epochs", type=int, default=None, help=f"epochs (default {EPOCHS})")
    ap.add_argument("--infer-repeats", type=int, default=None, help="inference repeats (default 30)")
    ap.add_argument("--infer-batch", type=int, default=INFER_BATCH)
    ap.add_argument("--infer-block", type=float, default=None, help="seconds of forwards per timed block (default 0.2)")
    ap.add_argument("--hidden", type=int, default=N_HIDDEN)
    ap.add_argument("--T", type=int, default=T_STEPS)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument(
        "--libs",
        default="ours,ours-seq,snntorch,spikingjelly,norse",
        help="comma-separated subset of ours,ours-seq,snntorch,spikingjelly,norse",
    )
    ap.add_argument("--out-dir", default=str(common.REPORT_DIR), help="where training.md goes")
    ap.add_argument("--plot", default=str(common.IMG_DIR / "training_speed.png"), help="plot path ('' for none)")
    ap.add_argument("--no-profile", dest="profile", action="store_false", help="skip the profiler table")
    args = ap.parse_args(argv)
    args.seeds = args.seeds if args.seeds is not None else (1 if args.quick else SEEDS)
    args.epochs = args.epochs if args.epochs is not None else (2 if args.quick else EPOCHS)
    args.infer_repeats = args.infer_repeats if args.infer_repeats is not None else (5 if args.quick else 30)
    args.infer_block = args.infer_block if args.infer_block is not None else (0.05 if args.quick else 0.2)
    args.libs = [s.strip() for s in args.libs.split(",") if s.strip()]
    return args


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    t0 = time.perf_counter()
    out = run(args)
    if args.plot and not plot(out, Path(args.plot)):
        args.plot = ""
    text = report(out, args, argv)
    path = common.write_report(NAME, text, Path(args.out_dir))
    print(text)
    print(f"wrote {path} in {time.perf_counter() - t0:.0f} s")
    ran = [k for k, r in out["results"].items() if r.epoch_s and not r.error]
    return 0 if ran else 1


if __name__ == "__main__":
    sys.exit(main())
