"""The co-simulation regression: ``python -m sc_neurocore.sim.regression`` (what ``nox -s sim`` runs).

1. unit testbenches (LFSR, Sobol, SNG, SC dot, LIF) on each simulator;
2. a trained digits net through the RTL network core: the whole test set (360 images) on
   Verilator, the first 50 on Icarus (``--limit`` / ``--icarus-limit``), every integer of
   every layer and timestep compared with the NumPy SC model;
3. the same trained net at each reference board's setting (its source and parallelism, the
   configuration ``nox -s build`` measures): all 360 images on Verilator, the first
   ``--board-icarus-limit`` (3) on Icarus;
4. hypothesis-drawn random nets and configurations (sizes, L, seeds, LFSR / Sobol, LFSR
   form and steps, T, parallelism) on each simulator;

then a summary table (simulator, images, cycles, mismatches, float / fixed / SC / RTL
accuracy, cycles/s, wall time).  Exit status 1 on any mismatch or failure.

Without ``--checkpoint`` / ``--export`` it trains a digits net once (10 epochs, seed 0) and
caches it in the build folder (``$SC_NEUROCORE_SIM_BUILD`` or ``<repo>/sim_build``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .runner import SIMULATORS, SimulatorNotFound, build_root, check_simulator
from .verify import ChainRow, format_table, verify_chain

__all__ = ["main", "default_checkpoint", "random_net_rows"]


def default_checkpoint(epochs: int = 10, seed: int = 0) -> Path:
    """A trained digits checkpoint, trained once and cached under the build root."""
    path = build_root() / f"digits_e{epochs}_s{seed}.pt"
    if not path.exists():
        from ..cli import main as cli

        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"training a digits net ({epochs} epochs, seed {seed}) -> {path}", flush=True)
        rc = cli(["train", "--epochs", str(epochs), "--seed", str(seed), "--no-progress", "-o", str(path)])
        if rc:
            raise SystemExit(f"training failed (exit {rc})")
    return path


def random_net_rows(sim: str, examples: int, seed: int = 0, *, log=print) -> list[ChainRow]:
    """Hypothesis-drawn random nets and configurations through the RTL on ``sim``; one row per example."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    from ..sc.contract import SCConfig
    from .nets import random_codes, random_qnet
    from .vectors import make_vectors

    rows: list[ChainRow] = []

    @st.composite
    def cases(draw):
        n_layers = draw(st.integers(1, 3))
        sizes = [draw(st.integers(1, 12)) for _ in range(n_layers + 1)]
        rng = draw(st.sampled_from(["lfsr", "sobol"]))
        width = draw(st.sampled_from([8, 9, 12, 16]))
        cfg = SCConfig(
            length=draw(st.sampled_from([1, 2, 4, 8, 16, 32])),
            rng=rng,
            seed=draw(st.integers(0, 2**16)),
            lfsr_width=width,
            lfsr_kind=draw(st.sampled_from(["fibonacci", "galois"])),
            lfsr_steps=draw(st.integers(1, width)),
        )
        T = draw(st.integers(1, 6))
        par = (draw(st.integers(1, 4)), draw(st.integers(1, T)))  # (neuron lanes, time lanes)
        return sizes, cfg, par, T, draw(st.integers(0, 2**16)), draw(st.integers(1, 4))

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), print_blob=True,
              phases=[Phase.explicit, Phase.generate])  # no shrinking: every example is a new build
    @given(cases())
    def check(case):
        from .tb_network import run_network

        sizes, cfg, par, T, net_seed, n_images = case
        qnet = random_qnet(sizes, cfg, seed=net_seed)
        vec = make_vectors(qnet, random_codes(n_images, sizes[0], cfg.prob_bits, seed=net_seed), T)
        t0 = time.perf_counter()
        rep = run_network(vec, sim=sim, parallelism=par, batch=2, stall=net_seed % 2 == 1, check=False)
        sb = rep.get("scoreboard", {})
        desc = (f"random {'-'.join(map(str, sizes))} L={cfg.length} {cfg.rng}"
                + (f"/{cfg.lfsr_kind[:3]}{cfg.lfsr_width}x{cfg.lfsr_steps}" if cfg.rng == "lfsr" else "")
                + f" T={T} par={par}")
        mism = int(sb.get("mismatches", 0)) + (0 if rep.get("passed") else 1)
        rows.append(ChainRow(sim, int(rep.get("images", 0)), int(rep.get("cycles", 0)), mism, None, float("nan"),
                             float("nan"), None, float(rep.get("cycles_per_s", 0.0)), time.perf_counter() - t0,
                             float(rep.get("build_s", 0.0)), sb.get("first") or (None if rep.get("passed") else
                                                                                   rep.get("log_tail", "")[-1500:]),
                             int(sb.get("compared", 0)), desc))
        log(f"  {sim}: {desc}: {mism} mismatches, {sb.get('compared', 0)} integers compared")
        assert mism == 0, f"{desc}: {rows[-1].first_mismatch}"

    try:
        check()
    except AssertionError as exc:
        log(f"  {sim}: random nets: FAILED: {exc}")
    return rows


def _write_report(path: Path, rows: list[ChainRow], argv, seconds: float, failures: list[str]) -> None:
    """The regression's table as Markdown, headed by the command that produced it."""
    import datetime as _dt
    import shlex

    args = sys.argv[1:] if argv is None else list(argv)
    command = "python -m sc_neurocore.sim.regression" + "".join(" " + shlex.quote(a) for a in args)
    when = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    compared = sum(r.compared for r in rows)
    mism = sum(r.mismatches for r in rows)
    text = "\n".join([
        "# Co-simulation regression (`nox -s sim`)",
        "",
        f"Produced by `{command}` on {when} ({seconds:.0f} s wall time on this machine).",
        "",
        "Every row streams images through the RTL network core on one simulator and compares every",
        "SC count, current, membrane and spike of every layer at every timestep, plus the class counts",
        "and the prediction, with the NumPy SC model (`SCNetwork.run_codes(..., trace=True)`). The",
        "board rows use each reference board's source and parallelism (`boards/registry.py`).",
        "",
        format_table(rows),
        "",
        f"Total: {compared:,} integers compared, {mism} mismatches"
        + (f"; FAILED: {'; '.join(failures)}" if failures else "."),
    ])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sc_neurocore.sim.regression", description=__doc__.splitlines()[0])
    p.add_argument("--sim", choices=("icarus", "verilator", "both"), default="both")
    p.add_argument("--checkpoint", type=Path, default=None, help="trained checkpoint (default: train/cached one)")
    p.add_argument("--export", type=Path, default=None, help="saved QuantizedNet instead of a checkpoint")
    p.add_argument("--limit", type=int, default=None, help="digits test images on Verilator (default: all 360)")
    p.add_argument("--icarus-limit", type=int, default=50,
                   help="digits test images on Icarus (default: 50)")
    p.add_argument("--length", type=int, default=16, help="SC cycles per timestep L (default 16)")
    p.add_argument("--rng", choices=("lfsr", "sobol"), default="lfsr", help="random source (default lfsr)")
    p.add_argument("--T", type=int, default=25, help="timesteps (default 25)")
    p.add_argument("--no-boards", dest="boards", action="store_false",
                   help="skip the trained net at the board settings (source and parallelism of each reference board)")
    p.add_argument("--board-icarus-limit", type=int, default=3, metavar="N",
                   help="digits test images per board setting on Icarus (default 3; Verilator runs all)")
    p.add_argument("--random", type=int, default=3, metavar="N", help="hypothesis random nets per simulator (default 3)")
    p.add_argument("--no-units", action="store_true", help="skip the unit testbenches")
    p.add_argument("--json", type=Path, default=None, help="write the rows as JSON too")
    p.add_argument("--report", type=Path, default=None, metavar="MD",
                   help="write the table as a Markdown report with its command (e.g. docs/bench/regression.md)")
    args = p.parse_args(argv)

    sims = list(SIMULATORS) if args.sim == "both" else [args.sim]
    try:
        for s in sims:
            check_simulator(s)
    except SimulatorNotFound as exc:
        print(f"regression: {exc}", file=sys.stderr)
        return 2
    t_start = time.perf_counter()
    failures: list[str] = []
    rows: list[ChainRow] = []

    if not args.no_units:
        from .tb_units import run_units

        for s in sims:
            t0 = time.perf_counter()
            res = run_units(s, check=False)
            bad = [u for u, r in res.report.items() if isinstance(r, dict) and r.get("mismatches")]
            print(f"units on {s}: {res.tests - res.failures}/{res.tests} passed ({time.perf_counter() - t0:.1f} s)"
                  + (f"; mismatches in {bad}" if bad else ""), flush=True)
            if not res.passed:
                failures.append(f"unit testbenches on {s}")

    from ..cli.nets import load_net  # until the reference net is package data
    from ..cli.sc_eval import float_predictions
    from ..datasets import load_dataset
    from ..sc.contract import SCConfig

    config = SCConfig(length=args.length, rng=args.rng)
    if args.export is None and args.checkpoint is None:
        args.checkpoint = default_checkpoint()
    net = load_net(args.checkpoint, args.export, config=None if args.export else config)
    qnet, model = net.qnet, net.model
    x, y = load_dataset("digits", "test")
    for s in sims:
        limit = args.limit if s == "verilator" else args.icarus_limit
        print(f"trained net on {s}: {len(x) if limit is None else min(limit, len(x))} digits test images ...",
              flush=True)
        rep = verify_chain(qnet, x, y, T=args.T, sim=s, limit=limit, float_pred=float_predictions(model, x, args.T),
                           what="digits (trained)")
        rows.extend(rep.rows)
        for r in rep.rows:
            if r.mismatches:
                failures.append(f"trained net on {s}: {r.first_mismatch}")
        if rep.agreement.get("sc_vs_float") is not None:
            print(f"  SC agrees with float on {100 * rep.agreement['sc_vs_float']:.2f} % of the images", flush=True)

    if args.boards and args.export is None:
        from ..boards.registry import get_board

        for name in ("icebreaker", "ulx3s"):
            spec = get_board(name)
            bnet = load_net(args.checkpoint, config=SCConfig(length=args.length, rng=spec.rng or args.rng))
            bq, bmodel = bnet.qnet, bnet.model
            for s in sims:
                limit = args.limit if s == "verilator" else args.board_icarus_limit
                if limit == 0:
                    continue
                what = f"digits at the {name} setting ({bq.config.rng}, parallelism {spec.parallelism})"
                print(f"{what} on {s}: {len(x) if limit is None else min(limit, len(x))} images ...", flush=True)
                rep = verify_chain(bq, x, y, T=args.T, sim=s, limit=limit, parallelism=spec.parallelism,
                                   float_pred=float_predictions(bmodel, x, args.T), what=what)
                rows.extend(rep.rows)
                failures += [f"{what} on {s}: {r.first_mismatch}" for r in rep.rows if r.mismatches]

    if args.random:
        for s in sims:
            print(f"random nets on {s} ({args.random} hypothesis examples) ...", flush=True)
            rnd = random_net_rows(s, args.random)
            rows.extend(rnd)
            if len(rnd) < args.random or any(r.mismatches for r in rnd):
                failures.append(f"random nets on {s}")

    print()
    print(format_table(rows))
    print(f"\ntotal wall time {time.perf_counter() - t_start:.1f} s")
    if args.json:
        from dataclasses import asdict

        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1, default=str))
    if args.report:
        _write_report(args.report, rows, argv, time.perf_counter() - t_start, failures)
    if failures:
        print("FAILED: " + "; ".join(failures), file=sys.stderr)
        return 1
    print("all RTL integers equal the NumPy model's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
