"""The co-simulation regression: ``python -m sc_neurocore.sim.regression`` (what ``nox -s sim`` runs).

1. unit testbenches (LFSR, Sobol, SNG, SC dot, LIF) on each simulator;
2. a trained digits net through the RTL network core (the reference net shipped with the
   package, :mod:`.reference`, or ``--export FILE``): the whole test set (360 images) on
   Verilator, the first 50 on Icarus, every integer of every layer and timestep compared with
   the NumPy SC model;
3. the same net at each reference board's setting (``hw.presets.BOARD_ENGINES``: its source and
   parallelism, the configuration the board builds measure): all images on Verilator, the first
   3 on Icarus;
4. the shipped conv digits net (``1x8x8-8c3-pool2-10``, :func:`.reference.conv_reference_net`): all images on
   Verilator, the first 10 on Icarus;
5. hypothesis-drawn random nets and configurations on each simulator;

then a summary table.  ``--quick`` is the CI's cut (fewer images, the same kinds of check).
``--executor local|ray`` shards the images of parts 2 and 3 over a local process pool or a Ray
cluster (:mod:`.shards`; ``--jobs``, ``--address``, ``--shards``): the same table as the serial
run, but for the rates and times.
Exit status 0 when every integer matched, 1 on any mismatch or failure, 2 for bad usage, 3 when
a simulator is missing.  It trains nothing and imports neither torch nor scikit-learn.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .verify import ChainRow, format_table, verify_chain

__all__ = ["main", "random_net_rows", "QUICK", "FULL"]

#: Images per part (Verilator, Icarus, each board setting on Verilator / Icarus), random nets per simulator,
#: the unit testbenches and the board settings.  QUICK (CI) leaves out what the pytest suite already runs
#: (units, random nets), checks the iCEBreaker setting on Icarus only, and leaves the ULX3S setting to the
#: full run: its 8x25 core is an 11 MB netlist that takes 3-5 minutes to build on either simulator.
FULL = {"limit": None, "icarus_limit": 50, "board_limit": None, "board_icarus_limit": 3, "random": 3, "units": True,
        "boards": ("icebreaker", "ulx3s"), "conv_limit": None, "conv_icarus_limit": 10}
QUICK = {"limit": 60, "icarus_limit": 2, "board_limit": 0, "board_icarus_limit": 2, "random": 0, "units": False,
         "boards": ("icebreaker",), "conv_limit": 0, "conv_icarus_limit": 0}


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
                + f" T={T} par={par[0]}x{par[1]}")
        mism = int(sb.get("mismatches", 0)) + (0 if rep.get("passed") else 1)
        first = sb.get("first") or (None if rep.get("passed") else rep.get("log_tail", "")[-1500:])
        rows.append(ChainRow(sim, int(rep.get("images", 0)), int(rep.get("cycles", 0)), mism, None, float("nan"),
                             float("nan"), None, float(rep.get("cycles_per_s", 0.0)), time.perf_counter() - t0,
                             float(rep.get("build_s", 0.0)), first, int(sb.get("compared", 0)), desc))
        log(f"  {sim}: {desc}: {mism} mismatches, {sb.get('compared', 0)} integers compared")
        assert mism == 0, f"{desc}: {first}"

    try:
        check()
    except AssertionError as exc:
        log(f"  {sim}: random nets: FAILED: {exc}")
    return rows


def _write_report(path: Path, rows: list[ChainRow], argv, seconds: float, failures: list[str], net: str) -> None:
    """The regression's table as Markdown, headed by the command that produced it."""
    import datetime as _dt
    import shlex

    from ..fileio import atomic_write_text

    args = sys.argv[1:] if argv is None else list(argv)
    command = "python -m sc_neurocore.sim.regression" + "".join(" " + shlex.quote(a) for a in args)
    when = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    compared = sum(r.compared for r in rows)
    mism = sum(r.mismatches for r in rows)
    text = "\n".join([
        "# Co-simulation regression (`nox -s sim`)",
        "",
        f"Produced by `{command}` on {when} ({seconds:.0f} s wall time on this machine); net: {net}.",
        "",
        "Every row streams images through the RTL network core on one simulator and compares every",
        "SC count, current, membrane and spike of every layer at every timestep, plus the class counts",
        "and the prediction, with the NumPy SC model (`SCNetwork.run_codes(..., trace=True)`). The",
        "board rows use each reference board's source and parallelism (`hw.presets.BOARD_ENGINES`).",
        "",
        format_table(rows),
        "",
        f"Total: {compared:,} integers compared, {mism} mismatches"
        + (f"; FAILED: {'; '.join(failures)}" if failures else "."),
    ])
    atomic_write_text(path, text + "\n")
    print(f"wrote {path}")


def _progress_printer(prefix: str):
    """Progress events as plain lines: each stage's start and its end (the regression runs unattended)."""
    started = set()

    def show(event) -> None:
        if event.stage not in started:
            started.add(event.stage)
            print(f"{prefix}{event.stage} ...", flush=True)
        elif event.finished:
            started.discard(event.stage)
            print(f"{prefix}{event.stage}: {event.done}/{event.total} {event.note}", flush=True)

    return show


def _parser() -> argparse.ArgumentParser:
    from ..executors import EXECUTORS

    p = argparse.ArgumentParser(prog="python -m sc_neurocore.sim.regression", description=__doc__.splitlines()[0])
    p.add_argument("--sim", choices=("icarus", "verilator", "both"), default="both")
    p.add_argument("--export", type=Path, default=None, metavar="FILE",
                   help="a saved QuantizedNet (QuantizedNet.save) instead of the shipped reference net")
    p.add_argument("--quick", action="store_true",
                   help=f"CI's cut: {QUICK['limit']} images on Verilator, {QUICK['icarus_limit']} on Icarus, "
                        f"{QUICK['board_icarus_limit']} at the iCEBreaker setting on Icarus; no ULX3S setting, no unit "
                        "testbenches and no random nets (pytest runs those)")
    p.add_argument("--limit", type=int, default=None, help="digits test images on Verilator (default: all 360)")
    p.add_argument("--icarus-limit", type=int, default=None, help=f"on Icarus (default {FULL['icarus_limit']})")
    p.add_argument("--board-limit", type=int, default=None, help="per board setting on Verilator (default: all)")
    p.add_argument("--board-icarus-limit", type=int, default=None, metavar="N",
                   help=f"per board setting on Icarus (default {FULL['board_icarus_limit']})")
    p.add_argument("--no-boards", dest="boards", action="store_false", help="skip the board settings")
    p.add_argument("--conv-limit", type=int, default=None, metavar="N",
                   help="conv digits net: test images on Verilator (default: all; --quick: none, pytest runs it)")
    p.add_argument("--conv-icarus-limit", type=int, default=None, metavar="N",
                   help=f"conv digits net on Icarus (default {FULL['conv_icarus_limit']})")
    p.add_argument("--rng", choices=("lfsr", "sobol"), default=None,
                   help="random source of the main rows (default: SCConfig()'s)")
    p.add_argument("--T", type=int, default=25, help="timesteps (default 25)")
    p.add_argument("--random", type=int, default=None, metavar="N",
                   help=f"hypothesis random nets per simulator (default {FULL['random']})")
    p.add_argument("--no-units", action="store_true", help="skip the unit testbenches")
    p.add_argument("--executor", choices=EXECUTORS, default=None,
                   help="shard the net's images over a local process pool or Ray (default: one process, serially)")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="processes of the local pool, CPUs of a local Ray instance (default: the cores)")
    p.add_argument("--address", default=None, metavar="ADDR",
                   help="Ray cluster: auto or ray://HOST:PORT (default: start a local Ray instance)")
    p.add_argument("--shards", type=int, default=None, metavar="N",
                   help="shards per part (default: one per worker)")
    p.add_argument("--json", type=Path, default=None, help="write the rows as JSON too")
    p.add_argument("--report", type=Path, default=None, metavar="MD",
                   help="write the table as a Markdown report with its command (e.g. docs/bench/regression.md)")
    return p


def _settings(args) -> dict:
    base = QUICK if args.quick else FULL
    out = {k: getattr(args, k, None) if getattr(args, k, None) is not None else v for k, v in base.items()}
    out["units"] = base["units"] and not args.no_units
    out["boards"] = base["boards"] if args.boards else ()
    for k, v in out.items():
        if k not in ("units", "boards") and v is not None and v < 0:
            raise ValueError(f"--{k.replace('_', '-')} must be >= 0, not {v}")
    for k in ("jobs", "shards"):
        if getattr(args, k) is not None and getattr(args, k) < 1:
            raise ValueError(f"--{k} must be >= 1, not {getattr(args, k)}")
    if args.executor is None and (args.jobs, args.address, args.shards) != (None, None, None):
        raise ValueError("--jobs, --address and --shards need --executor local or ray")
    return out


def _usage_error(p, message: str) -> int:
    print(f"{p.prog}: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    from ..errors import MissingTool
    from ..executors import make_executor
    from ..export import QuantizedNet
    from ..fileio import OutputPathError, check_output_path
    from .reference import reference_net
    from .runner import SIMULATORS, check_simulator

    p = _parser()
    args = p.parse_args(argv)
    try:
        limits = _settings(args)
        if args.T < 1:
            raise ValueError(f"--T must be >= 1, not {args.T}")
        for out in (args.json, args.report):
            if out is not None:
                check_output_path(out, what="report")
        qnet = QuantizedNet.load(args.export) if args.export else reference_net()
    except (ValueError, OutputPathError, FileNotFoundError) as exc:
        return _usage_error(p, str(exc))
    sims = list(SIMULATORS) if args.sim == "both" else [args.sim]
    try:
        for s in sims:
            check_simulator(s)
        executor = None if args.executor is None else make_executor(args.executor, jobs=args.jobs,
                                                                     address=args.address)
    except MissingTool as exc:
        print(f"{p.prog}: {exc}", file=sys.stderr)
        return 3
    except ValueError as exc:
        return _usage_error(p, str(exc))
    try:
        return _run(args, limits, qnet, sims, executor, argv)
    finally:
        if executor is not None:
            executor.close()


def _run(args, limits: dict, qnet, sims: list[str], executor, argv) -> int:
    """The regression's parts once the arguments, the net and the simulators are checked."""
    from ..hw.presets import BOARD_ENGINES
    from ..sc.contract import SCConfig
    from .reference import digits_test, reference_info, with_source

    rng = args.rng or SCConfig().rng
    qnet = with_source(qnet, rng=rng)
    x, y = digits_test()
    info = reference_info() if args.export is None else {}
    float_pred = info.get("float_prediction") if info.get("T") == args.T else None
    net = (f"{args.export}" if args.export else f"the shipped digits reference net ({info.get('train_command')})")
    t_start = time.perf_counter()
    failures: list[str] = []
    rows: list[ChainRow] = []

    if limits["units"]:
        from .tb_units import run_units

        for s in sims:
            t0 = time.perf_counter()
            res = run_units(s, check=False)
            bad = [u for u, r in res.report.items() if isinstance(r, dict) and r.get("mismatches")]
            print(f"units on {s}: {res.tests - res.failures}/{res.tests} passed ({time.perf_counter() - t0:.1f} s)"
                  + (f"; mismatches in {bad}" if bad else ""), flush=True)
            if not res.passed:
                failures.append(f"unit testbenches on {s}")

    def chain(q, s, limit, what, parallelism=None):
        if limit == 0:
            return
        n = len(x) if limit is None else min(limit, len(x))
        print(f"{what} on {s}: {n} digits test images"
              + ("" if executor is None else f", sharded over {executor.describe()}"), flush=True)
        if executor is None:
            rep = verify_chain(q, x, y, T=args.T, sim=s, limit=n, float_pred=float_pred, parallelism=parallelism,
                               what=what, waves="never", progress=_progress_printer("  "))
        else:
            from .shards import verify_sharded

            try:
                rep = verify_sharded(q, x, y, executor=executor, shards=args.shards, limit=n, T=args.T, sim=s,
                                     float_pred=float_pred, parallelism=parallelism, what=what)
            except RuntimeError as exc:  # a shard's worker was lost, or its simulation broke down
                print(f"  {what} on {s}: FAILED: {exc}", flush=True)
                failures.append(f"{what} on {s}: {str(exc).splitlines()[0]}")
                return
        rows.extend(rep.rows)
        failures.extend(f"{what} on {s}: {r.first_mismatch}" for r in rep.rows if r.mismatches)
        if rep.agreement.get("sc_vs_float") is not None:
            print(f"  SC agrees with float on {100 * rep.agreement['sc_vs_float']:.2f} % of the images", flush=True)

    for s in sims:
        chain(qnet, s, limits["limit"] if s == "verilator" else limits["icarus_limit"], f"digits ({rng})")
    for name, setting in BOARD_ENGINES.items():
        if name in limits["boards"]:
            bq = with_source(qnet, rng=setting.rng)
            par = "x".join(map(str, setting.parallelism))
            for s in sims:
                chain(bq, s, limits["board_limit"] if s == "verilator" else limits["board_icarus_limit"],
                      f"digits at the {name} setting ({setting.rng}, {par})", setting.parallelism)

    if args.export is None:  # the conv digits net, with its own float predictions
        from .reference import conv_reference_info, conv_reference_net

        cinfo = conv_reference_info()
        float_pred = cinfo.get("float_prediction") if cinfo.get("T") == args.T else None
        cq = with_source(conv_reference_net(), rng=rng)
        for s in sims:
            chain(cq, s, limits["conv_limit"] if s == "verilator" else limits["conv_icarus_limit"],
                  f"conv digits {cinfo.get('shape', '')} ({rng})".replace("  ", " "))

    if limits["random"]:
        for s in sims:
            print(f"random nets on {s} ({limits['random']} hypothesis examples) ...", flush=True)
            rnd = random_net_rows(s, limits["random"])
            rows.extend(rnd)
            if len(rnd) < limits["random"] or any(r.mismatches for r in rnd):
                failures.append(f"random nets on {s}")

    seconds = time.perf_counter() - t_start
    print()
    print(format_table(rows))
    print(f"\ntotal wall time {seconds:.1f} s")
    if args.json:
        from dataclasses import asdict

        from ..fileio import atomic_write_text

        atomic_write_text(args.json, json.dumps([asdict(r) for r in rows], indent=1, default=str))
    if args.report:
        _write_report(args.report, rows, argv, seconds, failures, net)
    if failures:
        print("FAILED: " + "; ".join(failures), file=sys.stderr)
        return 1
    print("all RTL integers equal the NumPy model's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
