"""``sc-neurocore demo``: the main job, end to end, with a small default.

Trains a SpikingNet on the documented digits split, exports it to the contract's integers,
evaluates float / fixed-point / SC accuracy, and checks the RTL against the NumPy SC model
on a few test images in cocotb (Verilator by default).
"""

from __future__ import annotations

import time
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("demo", help="train on digits -> SC model -> RTL check (small default)")
    p.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    p.add_argument("--hidden", type=int, default=64, help="hidden neurons (default 64)")
    p.add_argument("--T", type=int, default=25, help="timesteps per image (default 25)")
    p.add_argument("--length", type=int, default=16, help="SC bitstream length L per timestep (default 16)")
    p.add_argument("--rng", choices=("lfsr", "sobol"), default="sobol", help="random source (default sobol)")
    p.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    p.add_argument("--limit", type=int, default=10, help="test images checked on the RTL (default 10)")
    p.add_argument(
        "--sim", choices=("verilator", "icarus", "none"), default="verilator", help="RTL simulator (default verilator)"
    )
    p.add_argument("-o", "--output", type=Path, default=Path("runs/demo"), help="output folder (default runs/demo)")
    p.set_defaults(func=run)


def run(args) -> int:
    import numpy as np
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from ..datasets import load_digits_split
    from ..sc import SCConfig
    from ..sc.network import FixedPointNetwork, SCNetwork
    from ..training import SpikingNet, evaluate, train_epoch
    from ..training.checkpoint import save_checkpoint

    if args.epochs < 1 or args.hidden < 1 or args.T < 1 or args.limit < 0:
        raise SystemExit("--epochs, --hidden and --T must be >= 1, --limit >= 0")
    args.output.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    x_tr, x_te, y_tr, y_te = load_digits_split()
    train = DataLoader(TensorDataset(torch.from_numpy(x_tr), torch.from_numpy(y_tr)), batch_size=64, shuffle=True)
    test = DataLoader(TensorDataset(torch.from_numpy(x_te), torch.from_numpy(y_te)), batch_size=256)

    print(f"[1/3] training 64->{args.hidden}->10 on digits, T={args.T}, {args.epochs} epochs")
    model = SpikingNet(n_input=64, n_hidden=args.hidden, n_output=10, beta=0.9)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        loss, acc = train_epoch(model, train, opt, args.T, progress=False)
        print(f"      epoch {epoch:2d}  loss {loss:.3f}  train {acc:.1%}")
    _, float_acc = evaluate(model, test, args.T, progress=False)
    ckpt = args.output / "digits.pt"
    save_checkpoint(model, ckpt, dataset="digits", epochs=args.epochs, seed=args.seed, val_acc=float_acc)
    print(f"      float test accuracy {float_acc:.2%}  ({time.perf_counter() - t0:.1f} s)  -> {ckpt}")

    config = SCConfig(length=args.length, rng=args.rng)
    qnet = model.to_quantized(config)
    qnet.save(args.output / "digits_export.npz")
    print(f"[2/3] SC model: L={args.length}, rng={args.rng}")
    fxp_pred = FixedPointNetwork.from_quantized(qnet).run(x_te, args.T, trace=False).prediction
    t0 = time.perf_counter()
    sc_pred = SCNetwork.from_quantized(qnet).run(x_te, args.T, trace=False).prediction
    dt = time.perf_counter() - t0
    with torch.no_grad():
        counts, _ = model(torch.from_numpy(x_te).unsqueeze(0).expand(args.T, -1, -1))
    float_pred = counts.argmax(1).numpy()
    for name, pred in (("fixed-point", fxp_pred), ("SC", sc_pred)):
        print(
            f"      {name:11s} accuracy {np.mean(pred == y_te):.2%}  agreement with float {np.mean(pred == float_pred):.2%}"
        )
    print(f"      SC model speed {len(x_te) / dt:,.0f} images/s")

    if args.sim == "none" or args.limit == 0:
        print("[3/3] RTL check skipped")
        return 0
    from ..sim.verify import verify_chain

    print(f"[3/3] RTL check on {args.sim}: {args.limit} test images, every integer at every timestep")
    report = verify_chain(qnet, x_te, y_te, T=args.T, sim=args.sim, limit=args.limit, float_pred=float_pred)
    print(report.table())
    return 0 if report.ok else 1
