"""GPU training and inference speed: sc-neurocore's device path vs snnTorch and SpikingJelly on one CUDA GPU.

Two tasks, each library's net built through its adapter (``bench/peers/``) and moved to the GPU: the dense
digits task (64 -> 128 -> 10 LIF, ``peers.NetSpec``, 1,437 training images) and the conv task (the default
``ConvSpikingNet``, ``peers.conv_peers.ConvSpec``, mnist5k's 4,000 training images).  T = 25, Adam lr 2e-3,
batch 64, cross-entropy on the output spike counts; the data sit on the GPU before timing; every library starts
from sc-neurocore's initial weights.  sc-neurocore runs ``train_epoch`` (its LIF kernel's device path,
``sc_neurocore.training.lif_compiled``: the step loops compiled by ``torch.compile``, no host sync); the peers
run their own modules in the peers' loop (SpikingJelly with its default dispatch, which picks its CUDA or Triton
kernels on a GPU).  The first epoch of each library is reported apart (sc-neurocore's includes compiling);
s/epoch is the median of the others, epochs interleaved across libraries, each timed between
``torch.cuda.synchronize()`` calls.  Inference: samples/s of a no-grad forward of a batch, interleaved blocks.
Writes ``docs/bench/gpu.md`` and ``.json``::

    python bench/bench_gpu.py                # needs a CUDA GPU; exits 3 without one
    python bench/bench_gpu.py --epochs 3 --tasks dense
    python bench/bench_gpu.py --render-only
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "gpu"
SCRIPT = "bench/bench_gpu.py"
SCHEMA = 1
LR = 2e-3
BATCH = 64
TASKS = ("dense", "conv")
LIBS = ("ours", "snntorch", "spikingjelly")


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog=SCRIPT)
    ap.add_argument("--epochs", type=int, default=6, help="epochs per library and task, the first reported apart")
    ap.add_argument("--T", type=int, default=25)
    ap.add_argument("--tasks", default=",".join(TASKS), help=f"comma-separated subset of {','.join(TASKS)}")
    ap.add_argument("--libs", default=",".join(LIBS), help=f"comma-separated subset of {','.join(LIBS)}")
    ap.add_argument("--infer-batch", type=int, default=1024)
    ap.add_argument("--infer-repeats", type=int, default=15)
    ap.add_argument("--device", default="cuda", help="a CUDA device (default cuda)")
    ap.add_argument("--out-dir", default=str(common.REPORT_DIR))
    common.add_render_only(ap)
    args = ap.parse_args(argv)
    args.tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    args.libs = [t.strip() for t in args.libs.split(",") if t.strip()]
    for name, given, known in (("--tasks", args.tasks, TASKS), ("--libs", args.libs, LIBS)):
        if set(given) - set(known):
            ap.error(f"unknown {name} {sorted(set(given) - set(known))}; known: {', '.join(known)}")
    return args


def no_gpu_message() -> str | None:
    """``None`` when a CUDA GPU is usable here, else why not and what to do (the script then exits 3)."""
    import torch

    if torch.version.cuda is None:
        return (f"this torch ({torch.__version__}) is a CPU-only build: install a CUDA build of torch on a machine "
                "with an NVIDIA GPU (https://pytorch.org/get-started/locally/), then run this again")  # fmt: skip
    if not torch.cuda.is_available():
        return f"torch {torch.__version__} (CUDA {torch.version.cuda}) sees no CUDA GPU on this machine"
    return None


def _task(name: str, device):
    """``(spec, peers by key, weights io, x_train, y_train, x_test)`` of a task, data on ``device``."""
    import peers
    import torch
    from peers.conv_peers import CONV_PEERS, ConvSpec, conv_weights, load_conv_weights
    from sc_neurocore.datasets import load_dataset, load_digits_split

    if name == "dense":
        x_tr, x_te, y_tr, _ = (torch.from_numpy(a) for a in load_digits_split())
        spec, classes = peers.NetSpec(), {"ours": peers.Ours, "snntorch": peers.SnnTorch,
                                          "spikingjelly": peers.SpikingJelly}  # fmt: skip
        io = (peers.weights_of, peers.load_weights)
    else:
        x_tr, y_tr = (torch.as_tensor(a) for a in load_dataset("mnist5k", "train"))
        x_te, _ = (torch.as_tensor(a) for a in load_dataset("mnist5k", "test"))
        spec, classes = ConvSpec(), {cls.key: cls for cls in CONV_PEERS}
        io = (conv_weights, load_conv_weights)
    move = dict(device=device, dtype=torch.float32)
    return spec, classes, io, x_tr.to(**move), y_tr.long().to(device), x_te.to(**move)


def _static(xb, T: int):
    return xb.unsqueeze(0).expand(T, *xb.shape)


def _peer_epoch(peer, model, opt, x, y, T: int, gen) -> None:
    """The peers' loop on device-resident data: the image repeated over T, cross-entropy on the counts."""
    import torch

    model.train()
    order = torch.randperm(len(x), generator=gen).to(x.device)
    for i in range(0, len(x), BATCH):
        idx = order[i : i + BATCH]
        loss = torch.nn.functional.cross_entropy(peer.infer(model, x[idx].unsqueeze(0).repeat(T, 1, 1)), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def _ours_epoch(model, opt, x, y, T: int, gen) -> None:
    import torch
    from sc_neurocore.training import train_epoch

    order = torch.randperm(len(x), generator=gen).to(x.device)
    batches = [(x[order[i : i + BATCH]], y[order[i : i + BATCH]]) for i in range(0, len(x), BATCH)]
    train_epoch(model, batches, opt, T, device=x.device, progress=False)


def run_task(name: str, args, device, log=print) -> dict:
    import torch

    spec, classes, (get_w, set_w), x_tr, y_tr, x_te = _task(name, device)
    torch.manual_seed(0)
    init = get_w(classes["ours"]().build(spec))
    rows, setups = {}, {}
    for key in args.libs:
        peer = classes[key]()
        rows[key] = dict(key=key, label=peer.label, version=peer.version(), status=peer.status(), error="",
                         first_epoch_s=None, epoch_s=[], infer_s=[])  # fmt: skip
        if rows[key]["status"] is None:
            model = peer.build(spec)
            set_w(model, init)
            model.to(device)
            setups[key] = (peer, model, torch.optim.Adam(model.parameters(), lr=LR), torch.Generator().manual_seed(0))
    for epoch in range(args.epochs):
        keys = list(setups)
        k = epoch % max(1, len(keys))
        for key in keys[k:] + keys[:k]:
            peer, model, opt, gen = setups[key]
            torch.cuda.synchronize(device)
            t0 = time.perf_counter()
            try:
                if key == "ours":
                    _ours_epoch(model, opt, x_tr, y_tr, args.T, gen)
                else:
                    _peer_epoch(peer, model, opt, x_tr, y_tr, args.T, gen)
                torch.cuda.synchronize(device)
            except Exception as exc:  # noqa: BLE001 - report the library as failed, carry on
                rows[key]["error"] = f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
                del setups[key]
                continue
            dt = time.perf_counter() - t0
            if epoch == 0:
                rows[key]["first_epoch_s"] = dt
            else:
                rows[key]["epoch_s"].append(dt)
        log(
            f"{name} epoch {epoch}: "
            + ", ".join(f"{key} {(rows[key]['epoch_s'] or [rows[key]['first_epoch_s']])[-1]:.3f} s" for key in setups)
        )
    fns = {}
    xb = x_te[: args.infer_batch]
    for key, (peer, model, _, _) in setups.items():
        model.eval()
        inp = _static(xb, args.T) if key == "ours" else xb.unsqueeze(0).repeat(args.T, 1, 1)

        def fn(peer=peer, model=model, inp=inp):
            with torch.no_grad():
                peer.infer(model, inp)
            torch.cuda.synchronize(device)

        fns[key] = fn
    if fns:
        for key, times in common.interleaved(fns, repeats=args.infer_repeats, warmup=2).items():
            rows[key]["infer_s"] = times
    return dict(task=name, train_images=len(x_tr), infer_batch=len(xb), libs=[rows[k] for k in args.libs])


def experiment(args, log=print) -> dict:
    import torch
    from sc_neurocore.training import lif_compiled

    device = torch.device(args.device)
    tasks = [run_task(name, args, device, log) for name in args.tasks]
    return dict(schema=SCHEMA, bench=NAME, when=common.utc_now(), revision=common.git_revision(),
                machine=common.machine_info(), torch=common.package_version("torch"),
                gpu=torch.cuda.get_device_name(device), cuda=torch.version.cuda, compiled=lif_compiled.status,
                settings=dict(epochs=args.epochs, T=args.T, batch=BATCH, lr=LR, infer_repeats=args.infer_repeats),
                tasks=tasks)  # fmt: skip


def render(data: dict) -> str:
    s = data["settings"]
    out = ["## GPU: sc-neurocore's device path vs snnTorch and SpikingJelly", "",
           f"Command: `{data['command']}`.",
           f"Run {data['when']} on {data['gpu']} (CUDA {data['cuda']}), torch {data['torch']}, commit "
           f"{data['revision']}; sc-neurocore's LIF kernel: {data['compiled']}.", "",
           f"T = {s['T']}, batch {s['batch']}, Adam lr {s['lr']:g}; s/epoch the median of epochs 2..{s['epochs']} "
           "(min in brackets), the first epoch apart (sc-neurocore's includes torch.compile); inference: median of "
           f"{s['infer_repeats']} interleaved repeats.", ""]  # fmt: skip
    for task in data["tasks"]:
        med = {}
        rows = []
        for r in task["libs"]:
            med[r["key"]] = common.median(r["epoch_s"]) if r["epoch_s"] else None
            inf = common.median(r["infer_s"]) if r["infer_s"] else None
            rows.append([r["label"], r["version"], "-" if r["first_epoch_s"] is None else f"{r['first_epoch_s']:.2f}",
                         "-" if med[r["key"]] is None else f"{med[r['key']]:.3f} ({min(r['epoch_s']):.3f})",
                         "-" if not inf else f"{task['infer_batch'] / inf:,.0f}",
                         r["status"] or r["error"] or ""])  # fmt: skip
        out += [f"### {task['task']} ({task['train_images']} training images, inference batch {task['infer_batch']})",
                "", common.md_table(["library", "version", "first epoch s", "s/epoch", "inference samples/s", "note"],
                                    rows)]  # fmt: skip
        peers = [r for r in task["libs"] if r["key"] != "ours" and med.get(r["key"])]
        if med.get("ours") and peers:
            out += ["", "s/epoch ratios (ours / peer): " + ", ".join(
                f"{r['label']} {med['ours'] / med[r['key']]:.2f}x" for r in peers)]  # fmt: skip
        out.append("")
    return "\n".join(out)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    why = None if args.render_only else no_gpu_message()
    if why is not None:
        print(f"{SCRIPT}: {why}; the GPU figures stay pending (docs/STATUS.md)", file=sys.stderr)
        return 3
    data = common.saved_or_new(SCRIPT, NAME, SCHEMA, args, argv,
                               lambda: experiment(args, log=lambda msg: print(msg, flush=True)))  # fmt: skip
    if data is None:
        return 2
    text = render(data)
    path = common.write_report(NAME, text, Path(args.out_dir))
    print(text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
