"""Which SC random source should be the contract's default?  Measured on digits nets we did not tune for.

Candidates (``SCConfig`` fields; everything else the contract's default, SC seed 1, k = 8, signed):

* ``sobol``    -- ``SCConfig(rng="sobol")``;
* ``lfsr16x1`` -- ``SCConfig(rng="lfsr", lfsr_width=16, lfsr_steps=1)`` (the default until now);
* ``lfsr12x8`` -- ``SCConfig(rng="lfsr", lfsr_width=12, lfsr_steps=8)``.

The nets (:data:`NETS`) vary hidden width, depth, beta, threshold, surrogate and seed, away from the
hyperparameters the contract was tuned on (``SpikingNet(64, 128, 10)``, beta 0.9, threshold 1, atan,
seeds 0-2).  Each is trained as ``sc-neurocore train`` trains (:func:`train_like_cli`: digits split,
Adam lr 2e-3, batch 64, T = 25, 10 epochs, ``--seed``), then measured over the whole digits test
split (360 images) at L = 8 and L = 16: float accuracy, SC accuracy, SC - float (points) and the
agreement of the SC predictions with the float ones, at SC seed 1 (the contract's) and over SC
seeds 1-5.  Then each net is fine-tuned SC-aware for each source
(:func:`sc_neurocore.training.finetune.sc_finetune`, exact SC forward of that source at L = 16), in
each setting of :data:`FINETUNES` (epochs, learning rate), and measured again.

The goal a default must meet (issue 10 item 3): at L = 16, SC at most 0.5 point below float and
at least 99 % agreement, on every net.

Experiment and report are apart: :func:`experiment` returns plain data (also written as
``docs/bench/default_source.json``), :func:`report` renders it::

    python bench/bench_default_source.py                 # train, measure, write docs/bench/default_source.{md,json}
    python bench/bench_default_source.py --render-only   # re-render the .md from the .json (no torch)
    python bench/bench_default_source.py --quick         # smoke run: 2 nets, 2 epochs
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "default_source"
SCRIPT = "bench/bench_default_source.py"
#: The layout of the JSON :func:`experiment` returns; :func:`report` refuses another.
SCHEMA = 1

#: Candidate sources: key -> (label, SCConfig fields).
SOURCES = {
    "sobol": ("Sobol", {"rng": "sobol"}),
    "lfsr16x1": ("LFSR 16-bit, 1 step", {"rng": "lfsr", "lfsr_width": 16, "lfsr_steps": 1}),
    "lfsr12x8": ("LFSR 12-bit, 8 steps", {"rng": "lfsr", "lfsr_width": 12, "lfsr_steps": 8}),
}
LENGTHS = (8, 16)
GOAL_LENGTH = 16
GOAL_DELTA_PT = -0.5  # SC - float, points
GOAL_AGREEMENT = 99.0  # %
T_STEPS = 25
FT_LENGTH = 16


@dataclass(frozen=True)
class NetSpec:
    """One net, as ``sc-neurocore train --hidden H --layers N --beta B --threshold TH --surrogate S --seed SEED``."""

    hidden: int
    beta: float
    threshold: float
    surrogate: str
    seed: int
    layers: int = 1

    @property
    def label(self) -> str:
        depth = f"{self.layers}x" if self.layers > 1 else ""
        return f"{depth}{self.hidden} b{self.beta:g} th{self.threshold:g} {self.surrogate} s{self.seed}"

    def cli(self, epochs: int) -> str:
        return (f"sc-neurocore train --hidden {self.hidden} --layers {self.layers} --beta {self.beta:g} "
                f"--threshold {self.threshold:g} --surrogate {self.surrogate} --seed {self.seed} --epochs {epochs}")


#: Nets not tuned for: widths 64-160, beta 0.85-0.95, thresholds 0.75-1.5, five surrogates, fresh seeds;
#: two nets with the tuned hyperparameters but new seeds, two with two hidden layers.
NETS = (
    NetSpec(64, 0.85, 1.0, "atan_surrogate", 11),
    NetSpec(64, 0.95, 0.75, "fast_sigmoid", 12),
    NetSpec(96, 0.9, 1.25, "superspike", 13),
    NetSpec(96, 0.875, 1.0, "sigmoid_surrogate", 14),
    NetSpec(128, 0.95, 1.5, "atan_surrogate", 15),
    NetSpec(128, 0.85, 0.75, "triangular", 16),
    NetSpec(160, 0.9, 1.0, "fast_sigmoid", 17),
    NetSpec(160, 0.925, 1.25, "atan_surrogate", 18),
    NetSpec(64, 0.9, 1.25, "superspike", 19),
    NetSpec(160, 0.85, 1.5, "sigmoid_surrogate", 20),
    NetSpec(128, 0.9, 1.0, "atan_surrogate", 21),
    NetSpec(128, 0.9, 1.0, "atan_surrogate", 22),
    NetSpec(96, 0.9, 1.0, "atan_surrogate", 23, layers=2),
    NetSpec(128, 0.925, 0.75, "fast_sigmoid", 24, layers=2),
)


# --------------------------------------------------------------------------- experiment


def train_like_cli(spec: NetSpec, epochs: int, data):
    """The net ``sc-neurocore train`` makes for ``spec`` (same seeding, loaders, optimiser; on the CPU)."""
    import torch
    from sc_neurocore.training import SpikingNet, get_surrogate, train_epoch
    from torch.utils.data import DataLoader, TensorDataset

    x_tr, _, y_tr, _ = data
    torch.manual_seed(spec.seed)
    x_tr, y_tr = torch.as_tensor(x_tr), torch.as_tensor(y_tr)
    generator = torch.Generator().manual_seed(spec.seed)
    loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=64, shuffle=True, generator=generator)
    model = SpikingNet(n_input=x_tr.shape[1], n_hidden=spec.hidden, n_output=int(y_tr.max()) + 1,
                       n_layers=spec.layers, beta=spec.beta, threshold=spec.threshold,
                       surrogate_fn=get_surrogate(spec.surrogate))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(epochs):
        train_epoch(model, loader, optimizer, T_STEPS, progress=False)
    model.eval()
    return model


def float_predictions(model, x):
    import torch

    with torch.no_grad():
        counts, _ = model.forward_static(torch.as_tensor(x), T_STEPS)
    return counts.argmax(1).numpy()


def sc_predictions(model, config, x):
    from sc_neurocore.sc.network import SCNetwork

    return SCNetwork.from_spiking_net(model, config).run(x, T_STEPS, trace=False).prediction


def _rate(a, b) -> float:
    return 100.0 * float((a == b).mean())


@dataclass(frozen=True)
class FineTune:
    """One SC-aware fine-tuning setting (``sc_finetune(..., epochs=epochs, lr=lr)`` at L = 16)."""

    epochs: int
    lr: float

    @property
    def key(self) -> str:
        return f"{self.epochs} epoch{'s' if self.epochs != 1 else ''}, lr {self.lr:g}"

    @classmethod
    def parse(cls, text: str) -> FineTune:
        epochs, _, lr = text.partition(":")
        return cls(int(epochs), float(lr) if lr else 1e-4)


#: The first is the one the tables detail (``sc_finetune``'s default learning rate); the others compare.
FINETUNES = (FineTune(2, 1e-4), FineTune(2, 5e-4), FineTune(4, 1e-4))


def measure_net(spec: NetSpec, epochs: int, data, *, finetunes=FINETUNES, sc_seeds=(), lengths=LENGTHS) -> dict:
    """Plain data for one net: float, SC per source and L (per SC seed), and SC after each fine-tuning."""
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.sc.network import FixedPointNetwork
    from sc_neurocore.training.finetune import sc_finetune

    x_tr, x_te, y_tr, y_te = data
    t0 = time.perf_counter()
    model = train_like_cli(spec, epochs, data)
    train_s = time.perf_counter() - t0
    fp = float_predictions(model, x_te)
    row = {"spec": asdict(spec), "label": spec.label, "train_s": train_s, "float": _rate(fp, y_te),
           "sc": {}, "sc_seeds": {}, "ft": {}}
    p = FixedPointNetwork.from_quantized(model.to_quantized(SCConfig())).run(x_te, T_STEPS, trace=False).prediction
    row["fixed"] = {"acc": _rate(p, y_te), "agree": _rate(p, fp)}  # the exact integer rung: no SC noise
    for key, (_, fields) in SOURCES.items():
        row["sc"][key], row["sc_seeds"][key] = {}, {}
        for length in lengths:
            p = sc_predictions(model, SCConfig(length=length, **fields), x_te)
            row["sc"][key][str(length)] = {"acc": _rate(p, y_te), "agree": _rate(p, fp)}
            cells = []
            for sc_seed in sc_seeds:
                p = sc_predictions(model, SCConfig(length=length, seed=sc_seed, **fields), x_te)
                cells.append({"seed": sc_seed, "acc": _rate(p, y_te), "agree": _rate(p, fp)})
            row["sc_seeds"][key][str(length)] = cells
    for ft in finetunes:
        row["ft"][ft.key] = {}
        for key, (_, fields) in SOURCES.items():
            tuned = copy.deepcopy(model)
            t0 = time.perf_counter()
            sc_finetune(tuned, SCConfig(length=FT_LENGTH, **fields), x_tr, y_tr, epochs=ft.epochs, T=T_STEPS,
                        lr=ft.lr, seed=spec.seed)
            entry = {"float": None, "seconds": time.perf_counter() - t0}
            own = float_predictions(tuned, x_te)
            entry["float"] = _rate(own, y_te)
            for length in lengths:
                p = sc_predictions(tuned, SCConfig(length=length, **fields), x_te)
                entry[str(length)] = {"acc": _rate(p, y_te), "agree_own": _rate(p, own), "agree_orig": _rate(p, fp)}
            row["ft"][ft.key][key] = entry
    return row


def experiment(nets=NETS, *, epochs: int = 10, finetunes=FINETUNES, sc_seeds=(1, 2, 3, 4, 5), lengths=LENGTHS,
               log=print) -> dict:
    """Train and measure every net; returns the plain data :func:`report` renders."""
    import torch
    from sc_neurocore.datasets import load_digits_split

    torch.set_num_threads(1)  # one thread: the same floats on any machine, and the box is shared
    data = load_digits_split()
    rows = []
    for i, spec in enumerate(nets, 1):
        t0 = time.perf_counter()
        rows.append(measure_net(spec, epochs, data, finetunes=finetunes, sc_seeds=sc_seeds, lengths=lengths))
        log(f"[{i}/{len(nets)}] {spec.label}: float {rows[-1]['float']:.2f} % ({time.perf_counter() - t0:.0f} s)")
    return {
        "schema": SCHEMA,
        "epochs": epochs,
        "finetunes": [ft.key for ft in finetunes],
        "sc_seeds": list(sc_seeds),
        "ft_length": FT_LENGTH,
        "T": T_STEPS,
        "n_test": int(len(data[3])),
        "lengths": list(lengths),
        "sources": {k: {"label": v[0], "config": v[1]} for k, v in SOURCES.items()},
        "nets": rows,
    }


# --------------------------------------------------------------------------- report


def _meets(delta: float, agree: float) -> bool:
    # 1e-9: 99 % of 360 images is not a whole number; rates are computed from integer counts
    return delta >= GOAL_DELTA_PT - 1e-9 and agree >= GOAL_AGREEMENT - 1e-9


def _cell(row: dict, key: str, length: int, ft: str | None) -> tuple[float, float, dict]:
    """``(SC - float, agreement, cell)`` of one net; after fine-tuning ``ft``: against the original
    float net's accuracy and the fine-tuned net's own float predictions."""
    if ft is None:
        cell = row["sc"][key][str(length)]
        return cell["acc"] - row["float"], cell["agree"], cell
    cell = row["ft"][ft][key][str(length)]
    return cell["acc"] - row["float"], cell["agree_own"], cell


def summarise(results: dict, key: str, length: int, ft: str | None = None) -> dict:
    """Mean and worst of SC - float and of agreement for one source and length over every net.

    ``ft`` (a fine-tuning setting's key): the fine-tuned nets; SC - float is against the *original*
    float net (what the user had before fine-tuning), agreement against the fine-tuned net's own
    float predictions (what ``verify`` compares), ``agree_orig`` against the original float net.
    """
    deltas, agrees, agrees_orig, float_gain, ok = [], [], [], [], 0
    for row in results["nets"]:
        delta, agree, cell = _cell(row, key, length, ft)
        if ft is not None:
            agrees_orig.append(cell["agree_orig"])
            float_gain.append(row["ft"][ft][key]["float"] - row["float"])
        deltas.append((delta, row["label"]))
        agrees.append((agree, row["label"]))
        ok += _meets(delta, agree)
    out = {
        "mean_delta": statistics.fmean(d for d, _ in deltas),
        "worst_delta": min(deltas),
        "mean_agree": statistics.fmean(a for a, _ in agrees),
        "worst_agree": min(agrees),
        "meets": ok,
        "n": len(deltas),
    }
    if ft is not None:
        out["mean_agree_orig"] = statistics.fmean(agrees_orig)
        out["mean_float_gain"] = statistics.fmean(float_gain)
    return out


def summarise_seeds(results: dict, key: str, length: int) -> dict:
    """Like :func:`summarise` (no fine-tuning) over every (net, SC seed) pair."""
    deltas, agrees, ok = [], [], 0
    for row in results["nets"]:
        for cell in row["sc_seeds"][key][str(length)]:
            where = f"{row['label']}, SC seed {cell['seed']}"
            delta = cell["acc"] - row["float"]
            deltas.append((delta, where))
            agrees.append((cell["agree"], where))
            ok += _meets(delta, cell["agree"])
    return {
        "mean_delta": statistics.fmean(d for d, _ in deltas),
        "worst_delta": min(deltas),
        "mean_agree": statistics.fmean(a for a, _ in agrees),
        "worst_agree": min(agrees),
        "meets": ok,
        "n": len(deltas),
    }


def summarise_fixed(results: dict) -> dict | None:
    """The fixed-point rung (exact integer counts, the contract's k and Q8.8) over every net, or ``None``."""
    if not all("fixed" in row for row in results["nets"]):
        return None
    deltas = [(row["fixed"]["acc"] - row["float"], row["label"]) for row in results["nets"]]
    agrees = [(row["fixed"]["agree"], row["label"]) for row in results["nets"]]
    return {
        "mean_delta": statistics.fmean(d for d, _ in deltas),
        "worst_delta": min(deltas),
        "mean_agree": statistics.fmean(a for a, _ in agrees),
        "worst_agree": min(agrees),
        "meets": sum(_meets(d, a) for (d, _), (a, _) in zip(deltas, agrees)),
        "n": len(deltas),
    }


def _pt(x: float) -> str:
    return f"{round(x, 2) + 0.0:+.2f}"  # + 0.0: no "-0.00"


def _summary_row(s: dict) -> list[str]:
    return [_pt(s['mean_delta']), _pt(s['worst_delta'][0]), f"{s['mean_agree']:.2f}",
            f"{s['worst_agree'][0]:.2f}", f"{s['meets']}/{s['n']}"]


_SUMMARY_HEADER = ["SC - float, mean (pt)", "worst (pt)", "agreement, mean %", "worst %", "meeting the goal"]


def _summary_table(results: dict, ft: str | None = None) -> str:
    header = ["source", "L", *_SUMMARY_HEADER]
    if ft is not None:
        header += ["agreement with the original float, mean %", "float change from fine-tuning, mean (pt)"]
    rows = []
    fixed = summarise_fixed(results) if ft is None else None
    if fixed:
        rows.append(["fixed point (no SC noise)", "-", *_summary_row(fixed)])
    for key, meta in results["sources"].items():
        for length in results["lengths"]:
            s = summarise(results, key, length, ft)
            row = [meta["label"], length, *_summary_row(s)]
            if ft is not None:
                row += [f"{s['mean_agree_orig']:.2f}", _pt(s['mean_float_gain'])]
            rows.append(row)
    return common.md_table(header, rows)


def _seeds_table(results: dict) -> str:
    rows = []
    for key, meta in results["sources"].items():
        for length in results["lengths"]:
            rows.append([meta["label"], length, *_summary_row(summarise_seeds(results, key, length))])
    return common.md_table(["source", "L", *_SUMMARY_HEADER[:-1], "(net, seed) pairs meeting the goal"], rows)


def _settings_table(results: dict) -> str:
    """Every fine-tuning setting at the goal length, against no fine-tuning."""
    rows = []
    for ft in [None, *results["finetunes"]]:
        for key, meta in results["sources"].items():
            s = summarise(results, key, GOAL_LENGTH, ft)
            gain = "" if ft is None else _pt(s["mean_float_gain"])
            rows.append([ft or "none", meta["label"], *_summary_row(s), gain])
    return common.md_table(["fine-tuning", "source", *_SUMMARY_HEADER, "float change, mean (pt)"], rows)


def _per_net_table(results: dict, length: int, ft: str | None = None) -> str:
    keys = list(results["sources"])
    header = ["net", "float %"] + [f"{results['sources'][k]['label']}: SC % (SC - float, agreement %)" for k in keys]
    fixed = ft is None and summarise_fixed(results) is not None
    if fixed:
        header.append("fixed point % (- float, agreement %)")
    rows = []
    for row in results["nets"]:
        cells = [row["label"], f"{row['float']:.2f}"]
        for k in keys:
            delta, agree, c = _cell(row, k, length, ft)
            mark = " ✗" if length == GOAL_LENGTH and not _meets(delta, agree) else ""
            cells.append(f"{c['acc']:.2f} ({_pt(delta)}, {agree:.1f}){mark}")
        if fixed:
            f = row["fixed"]
            cells.append(f"{f['acc']:.2f} ({_pt(f['acc'] - row['float'])}, {f['agree']:.1f})")
        rows.append(cells)
    return common.md_table(header, rows)


def verdicts(results: dict) -> list[str]:
    """One line per source: does it meet the goal on every net at L=16, before and after fine-tuning."""
    lines = []
    fixed = summarise_fixed(results)
    if fixed:
        lines.append(f"- **Fixed point** (the exact integer rung: 8-bit codes and Q8.8 without SC noise, what quantisation alone "
                     f"costs): meets the goal on {fixed['meets']}/{fixed['n']} nets (worst "
                     f"{fixed['worst_delta'][0]:+.2f} pt on {fixed['worst_delta'][1]}; worst agreement "
                     f"{fixed['worst_agree'][0]:.2f} % on {fixed['worst_agree'][1]}).")
    first = results["finetunes"][0] if results["finetunes"] else None
    for key, meta in results["sources"].items():
        s = summarise(results, key, GOAL_LENGTH)
        seeds = summarise_seeds(results, key, GOAL_LENGTH) if results["sc_seeds"] else None
        text = (f"- **{meta['label']}**: meets the goal at L={GOAL_LENGTH} on {s['meets']}/{s['n']} nets "
                f"(worst SC - float {s['worst_delta'][0]:+.2f} pt on {s['worst_delta'][1]}; worst agreement "
                f"{s['worst_agree'][0]:.2f} % on {s['worst_agree'][1]})")
        if seeds:
            text += f"; over SC seeds {results['sc_seeds']}: {seeds['meets']}/{seeds['n']} (net, seed) pairs"
        if first:
            t = summarise(results, key, GOAL_LENGTH, first)
            text += (f"; after fine-tuning ({first}) {t['meets']}/{t['n']} (worst {t['worst_delta'][0]:+.2f} pt "
                     f"against the original float, worst agreement {t['worst_agree'][0]:.2f} %)")
        lines.append(text + ".")
    return lines


def report(results: dict, *, command: str) -> str:
    """The Markdown page of one :func:`experiment` result."""
    n, n_test = len(results["nets"]), results["n_test"]
    one = 100.0 / n_test
    sources = "; ".join(f"{m['label']} = `SCConfig({', '.join(f'{k}={v!r}' for k, v in m['config'].items())})`"
                        for m in results["sources"].values())
    lines = [
        "## Default SC source: measured on nets not tuned for",
        "",
        f"Produced by `{command}` ({results.get('when', '')}, revision {results.get('revision', '?')}, "
        f"{results.get('machine', '')}; {results.get('seconds', 0) / 60:.0f} min).",
        "",
        f"{n} digits nets (list at the end; each trained as `sc-neurocore train` trains it, {results['epochs']} "
        f"epochs, T = {results['T']}), whole test split ({n_test} images: one image = {one:.2f} pt). Sources: "
        f"{sources} (everything else the contract default: SC seed 1, k = 8, signed).",
        "",
        f"Goal (issue 10 item 3): at L = {GOAL_LENGTH}, SC - float >= {GOAL_DELTA_PT} pt and agreement with "
        f"float >= {GOAL_AGREEMENT:g} % on every net (✗ marks a net that misses it).",
        "",
        "### Verdict",
        "",
        *verdicts(results),
        "",
        "### Summary over the nets (no fine-tuning, SC seed 1)",
        "",
        _summary_table(results),
        "",
    ]
    if results["sc_seeds"]:
        lines += [
            f"### Over SC seeds {results['sc_seeds']} (no fine-tuning)",
            "",
            "The SC seed (`SCConfig(seed=...)`) picks the sources' start states (LFSR) or digital shifts (Sobol); "
            "the same nets, every seed: how much of one net's result is its seed's luck.",
            "",
            _seeds_table(results),
            "",
        ]
    if results["finetunes"]:
        first = results["finetunes"][0]
        lines += [
            f"### After SC-aware fine-tuning ({first}, at L = {results['ft_length']} for the source measured)",
            "",
            "`sc_neurocore.training.finetune.sc_finetune` (batch 64, the net's seed, SC seed 1). SC - float is "
            "against the original float net (what the user had before fine-tuning); agreement against the "
            "fine-tuned net's own float predictions (what `verify` compares for the checkpoint it is given).",
            "",
            _summary_table(results, first),
            "",
            f"### Fine-tuning settings compared (L = {GOAL_LENGTH})",
            "",
            _settings_table(results),
            "",
        ]
    for length in results["lengths"]:
        lines += [f"### Per net, L = {length}", "", _per_net_table(results, length), ""]
    if results["finetunes"]:
        for length in results["lengths"]:
            lines += [f"### Per net after fine-tuning ({first}), L = {length}", "",
                      "SC - float against the original float net; agreement against the fine-tuned net's float.", "",
                      _per_net_table(results, length, first), ""]
    lines += ["### The nets", "", common.md_table(
        ["net", "command", "train s"],
        [[row["label"], f"`{NetSpec(**row['spec']).cli(results['epochs'])}`", f"{row['train_s']:.1f}"]
         for row in results["nets"]]), ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10, help="training epochs per net (default: 10)")
    ap.add_argument("--ft", type=FineTune.parse, nargs="*", default=list(FINETUNES), metavar="EPOCHS:LR",
                    help="SC-aware fine-tuning settings, the first detailed (default: 2:1e-4 2:5e-4 4:1e-4; none: --ft)")
    ap.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS), metavar="L",
                    help=f"bitstream lengths measured (default: {' '.join(map(str, LENGTHS))}; the goal is at {GOAL_LENGTH})")
    ap.add_argument("--sc-seeds", type=int, nargs="*", default=[1, 2, 3, 4, 5],
                    help="SC seeds of the robustness table (default: 1 2 3 4 5)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 nets, 2 epochs, one 1-epoch fine-tuning")
    common.add_render_only(ap)
    ap.add_argument("--out-dir", type=Path, default=common.REPORT_DIR, help="where the .md and .json go")
    args = ap.parse_args(argv)
    json_path = args.out_dir / f"{NAME}.json"
    if args.render_only:
        try:
            results = common.read_json(NAME, args.out_dir, schema=SCHEMA)
        except common.RenderError as exc:
            print(f"bench_default_source: {exc}", file=sys.stderr)
            return 2
    else:
        nets = NETS[:2] if args.quick else NETS
        epochs = 2 if args.quick else args.epochs
        finetunes = [FineTune(1, 1e-4)] if args.quick else args.ft
        sc_seeds = args.sc_seeds[:2] if args.quick else args.sc_seeds
        t0 = time.perf_counter()
        revision, when = common.git_revision(), common.utc_now()  # of the code that runs, taken before it runs
        results = experiment(nets, epochs=epochs, finetunes=finetunes, sc_seeds=sc_seeds, lengths=args.lengths,
                             log=lambda s: print(s, file=sys.stderr))
        results["command"] = common.command_line(SCRIPT, argv)
        results["when"] = when
        results["revision"] = revision
        info = common.machine_info()
        results["machine"] = f"{info['cpu']}, {info['cores']} cores, torch threads 1"
        results["seconds"] = time.perf_counter() - t0
        common.write_json(NAME, results, args.out_dir)
    path = common.write_report(NAME, report(results, command=results["command"]), args.out_dir)
    print(f"wrote {path}" + ("" if args.render_only else f" and {json_path}"), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
