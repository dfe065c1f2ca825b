"""``sc-neurocore faults``: accuracy under bit flips, the SC net beside the binary fixed-point net.

Every (site, rate) of the grid runs the bit-exact NumPy SC model and the binary fixed-point rung
(``FixedPointNetwork``) on the same images under the same seeded fault model
(:mod:`sc_neurocore.sc.faults`): per-bit flips into the bitstreams (the SC net's product bits; the binary
net's product words), the count words, the membrane registers or the stored weights.  ``--repeats N``
averages N seeds.  The table goes to stdout, ``--json`` prints one object instead, ``--plot`` writes the
curves (accuracy against bit-error rate, one panel per site).  ``--rtl SIM`` also runs a fault build of the
network core (``hw.faults``) on the first ``--rtl-images`` images of each row and counts the integers that
differ from the NumPy model under the same faults (exit 1 if any).
"""

from __future__ import annotations

import argparse
import json

from .argtypes import output_file, positive_int
from .export_vectors import add_data_options, encoded_inputs, load_inputs
from .nets import add_net_options, net_from_args

EXAMPLES = """\
examples:
  sc-neurocore faults --checkpoint digits.pt
  sc-neurocore faults --checkpoint digits.pt --rates 1e-3,1e-2 --sites bitstream --repeats 3 --json
  sc-neurocore faults --checkpoint digits.pt --plot faults.png
"""

DEFAULT_RATES = "1e-4,1e-3,1e-2,5e-2"


def rates(text: str) -> list[float]:
    """``"1e-3,1e-2"`` -> ``[0.001, 0.01]`` (each in (0, 1], no repeats)."""
    import math

    try:
        out = [float(v) for v in str(text).split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes comma-separated bit-error rates like 1e-3,1e-2, not {text!r}") \
            from None
    if not out or any(not (math.isfinite(r) and 0 < r <= 1) for r in out) or len(set(out)) != len(out):
        raise argparse.ArgumentTypeError(f"takes distinct bit-error rates in (0, 1] like 1e-3,1e-2, not {text!r}")
    return out


def sites(text: str) -> list[str]:
    from ..sc.faults import SITES

    out = [s.strip() for s in str(text).split(",")]
    bad = [s for s in out if s not in SITES]
    if bad or not out or len(set(out)) != len(out):
        raise argparse.ArgumentTypeError(f"takes distinct sites of {', '.join(SITES)}, not {text!r}")
    return out


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "faults",
        help="accuracy under bit flips (bitstreams, counts, membranes, weights): SC beside binary fixed point",
        description="Inject seeded bit flips at each rate into each site and report the accuracy of the SC model "
        "and of the binary fixed-point net under the same fault model (sc_neurocore.sc.faults).",
        epilog=EXAMPLES,
    )
    add_net_options(p)
    add_data_options(p)
    p.add_argument("--rates", type=rates, default=rates(DEFAULT_RATES), metavar="R1,R2,...",
                   help=f"per-bit flip probabilities (default: {DEFAULT_RATES})")
    p.add_argument("--sites", type=sites, default=sites("bitstream,count,membrane,weights"), metavar="S1,S2,...",
                   help="where bits flip: bitstream, count, membrane, weights (default: all four)")
    p.add_argument("--persist", choices=("run", "image"), default="run",
                   help="a weight upset lasts the run, or is drawn per image (default: run)")
    p.add_argument("--repeats", type=positive_int, default=1, metavar="N",
                   help="seeds averaged per point (default: 1)")
    p.add_argument("--fault-seed", type=int, default=0, metavar="SEED", help="first fault seed (default: 0)")
    p.add_argument("--rtl", choices=("verilator", "icarus", "both"), default=None,
                   help="also run a fault build of the network core on the simulator(s) under each row's faults and "
                   "count the integers that differ from the NumPy model (0 expected)")
    p.add_argument("--rtl-images", type=positive_int, default=20, metavar="N",
                   help="images the fault builds run (the first N; default: 20)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    p.add_argument("--plot", type=output_file, default=None, metavar="PNG", help="also write the curves as a PNG")
    p.set_defaults(func=run)


def rtl_mismatches(qnet, codes, T: int, model, sim: str, *, progress=None) -> tuple[int, int]:
    """``(mismatches, integers compared)`` of a fault build of the core on ``sim`` against the NumPy model under
    ``model`` (a weights fault: the core built from the corrupted weights), images ``codes``."""
    from ..hw.faults import FaultPlan
    from ..sc.faults import corrupt_weights
    from ..sim.tb_network import run_network
    from ..sim.vectors import make_vectors

    if model.site == "weights":
        if model.persist != "run":
            raise ValueError("--rtl checks weight upsets that persist for the run (--persist run)")
        vec, plan = make_vectors(corrupt_weights(qnet, model), codes, T), None
    else:
        vec = make_vectors(qnet, codes, T, faults=model)
        plan = FaultPlan.from_trace(vec.expected)
    rep = run_network(vec, sim=sim, trace=True, check=False, faults=plan, progress=progress)
    sb = rep.get("scoreboard", {})
    bad = int(sb.get("mismatches", 0)) + (0 if rep.get("passed") else 1)
    return bad, int(sb.get("compared", 0))


def fault_table(qnet, x, y, T: int, rates_, sites_, *, persist: str = "run", repeats: int = 1, seed: int = 0,
                progress=None, rtl=None, rtl_images: int = 20, rtl_progress=None) -> dict:
    """The figures of ``faults``: ``{"clean": {...}, "rows": [...]}`` (``x``: probabilities, or a raster for a
    spike-input net).  ``rtl``: ``None`` (``rtl_mismatches`` is ``None``), or ``"verilator"``, ``"icarus"`` or
    ``"both"``: each row's first seed also runs as a fault build on the first ``rtl_images`` images."""
    import numpy as np

    from ..sc.contract import quantize_probability
    from ..sc.faults import FaultModel
    from ..sc.network import FixedPointNetwork, SCNetwork, spike_words

    codes = spike_words(x) if qnet.spike_input else quantize_probability(x, qnet.config.prob_bits)
    nets = {"sc": SCNetwork.from_quantized(qnet), "binary": FixedPointNetwork.from_quantized(qnet)}

    def accuracy(net, faults=None):
        return float(np.mean(net.run_codes(codes, T, trace=False, faults=faults).prediction == y))

    out = {"clean": {f"{k}_accuracy": accuracy(n) for k, n in nets.items()}, "rows": [],
           "images": int(len(y)), "T": int(T), "repeats": int(repeats), "persist": persist}
    for site in sites_:
        for rate in rates_:
            if progress:
                progress(f"{site} at {rate:g}")
            row = {"site": site, "rate": rate}
            for key, net in nets.items():
                accs = [accuracy(net, FaultModel(site, rate, seed + r, persist)) for r in range(repeats)]
                row[f"{key}_accuracy"] = float(np.mean(accs))
            row["rtl_mismatches"] = None
            if rtl is not None:
                sims = ("icarus", "verilator") if rtl == "both" else (rtl,)
                found = [rtl_mismatches(qnet, codes[:rtl_images], T, FaultModel(site, rate, seed, persist), s,
                                        progress=rtl_progress) for s in sims]
                row["rtl_mismatches"] = sum(b for b, _ in found)
                row["rtl_compared"] = sum(c for _, c in found)
                row["rtl_images"] = int(min(rtl_images, len(codes)))
            out["rows"].append(row)
    return out


def render_plot(table: dict, path) -> None:
    """Accuracy against bit-error rate, one panel per site, SC and binary (PNG, written atomically)."""
    from matplotlib.figure import Figure

    from ..fileio import atomic_output

    sites_ = list(dict.fromkeys(r["site"] for r in table["rows"]))
    fig = Figure(figsize=(3.2 * len(sites_), 3.0), layout="constrained")
    axes = fig.subplots(1, len(sites_), squeeze=False)[0]
    for ax, site in zip(axes, sites_):
        rows = [r for r in table["rows"] if r["site"] == site]
        rs = [r["rate"] for r in rows]
        for key, style, label in (("sc", "o-", "SC"), ("binary", "s--", "binary fixed point")):
            ax.plot(rs, [100 * r[f"{key}_accuracy"] for r in rows], style, label=label)
            ax.axhline(100 * table["clean"][f"{key}_accuracy"], color="grey", lw=0.6)
        ax.set_xscale("log")
        ax.set_title(site)
        ax.set_xlabel("bit-error rate")
        ax.set_ylim(0, 100)
    axes[0].set_ylabel("accuracy (%)")
    axes[0].legend(fontsize=8)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


def run(args) -> int:
    from ..progress import ProgressEvent
    from .bars import Bars

    net = net_from_args(args)
    x, y, dataset = load_inputs(args, net)
    x = encoded_inputs(args, net, x)
    if args.plot is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError as exc:
            from ..errors import missing_extra

            raise missing_extra("training", exc, what="--plot needs matplotlib") from exc
    total = len(args.sites) * len(args.rates)
    with Bars("faults") as bars:
        done = iter(range(total + 1))

        def note(text):
            bars(ProgressEvent(f"{len(y)} images under faults", next(done), total, text))

        table = fault_table(net.qnet, x, y, net.T, args.rates, args.sites, persist=args.persist,
                            repeats=args.repeats, seed=args.fault_seed, progress=note, rtl=args.rtl,
                            rtl_images=args.rtl_images, rtl_progress=bars)
        bars(ProgressEvent(f"{len(y)} images under faults", total, total, "done"))
    table["dataset"] = dataset
    if args.plot is not None:
        render_plot(table, args.plot)
    if args.json:
        print(json.dumps(table))
        return 0
    c = table["clean"]
    print(f"{table['images']} images, T={table['T']}, {table['repeats']} seed(s) per point; clean: SC "
          f"{c['sc_accuracy']:.2%}, binary {c['binary_accuracy']:.2%}")
    rtl = args.rtl is not None
    print("| site | bit-error rate | SC accuracy | binary accuracy |" + (" RTL mismatches |" if rtl else ""))
    print("|---|---|---|---|" + ("---|" if rtl else ""))
    for r in table["rows"]:
        extra = f" {r['rtl_mismatches']:,} of {r['rtl_compared']:,} integers ({r['rtl_images']} images) |" if rtl else ""
        print(f"| {r['site']} | {r['rate']:g} | {r['sc_accuracy']:.2%} | {r['binary_accuracy']:.2%} |" + extra)
    if args.plot is not None:
        print(f"wrote {args.plot}")
    if rtl and any(r["rtl_mismatches"] for r in table["rows"]):
        from ..errors import CheckFailed

        raise CheckFailed("the fault build differs from the NumPy model under the same faults")
    return 0
