"""Clocks per image of the network cores for the trained digits net (``docs/bench/gateware.md``).

For each parallelism setting of the time-batched ``SCNetworkCore`` and each source, the exact
clocks of every digits test image (``image_cycles``, the event model the gateware tests hold the
core to, cycle for cycle), their mean and max, the worst case (every input non-zero, every hidden
neuron spiking), and images/s at 24, 50 and 100 MHz; beside them, while the package still has it,
the per-timestep ``SCWavefrontCore`` at the settings the boards used before.  Resources and fmax
of the board settings come from ``nox -s build`` (``docs/bench/boards.md``).

The experiment (:func:`experiment`) saves its data as ``docs/bench/gateware.json``; the report
(:func:`render`) reads only that.  Usage::

    python bench/bench_gateware.py [--checkpoint CKPT] [--quick] [--render-only]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "gateware"
SCRIPT = "bench/bench_gateware.py"
SCHEMA = 1
DEFAULT_CHECKPOINT = common.ROOT / "build" / "boards" / "digits.pt"
DEFAULT_T = 25  # timesteps when the checkpoint does not say
TRAIN = ["train", "--dataset", "digits", "--epochs", "10", "--seed", "0", "--no-progress"]
SETTINGS = [(1, 16), (1, 25), (4, 25), (8, 25), (16, 25)]
WAVEFRONT = [((1, 4), False), ((1, 4), True), ([(8, 16), (5, 8)], False), ([(16, 16), (10, 32)], False)]
CLOCKS_MHZ = (24, 50, 100)


def _checkpoint(path: Path) -> tuple[Path, str]:
    rel = path.relative_to(common.ROOT) if path.is_absolute() and path.is_relative_to(common.ROOT) else path
    shown = "sc-neurocore " + " ".join(TRAIN + ["-o", str(rel)])
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"[gateware] training the digits net: {shown}", flush=True)
        subprocess.run([sys.executable, "-m", "sc_neurocore.cli", *TRAIN, "-o", str(path)], check=True)
    return path, shown


def _clock_model():
    """``(image_cycles, cycles_per_image)`` of the engine (``hw.timing``, formerly in ``hw.network``)."""
    try:
        from sc_neurocore.hw.timing import cycles_per_image, image_cycles
    except ImportError:
        from sc_neurocore.hw.network import cycles_per_image, image_cycles
    return image_cycles, cycles_per_image


def _load(ckpt: Path, rng: str):
    """``(qnet, T)`` of the checkpoint exported with the default SC config but ``rng``."""
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.training.checkpoint import load_checkpoint

    model, meta = load_checkpoint(ckpt)
    return model.to_quantized(SCConfig(rng=rng)), int(meta.get("T", DEFAULT_T))


def _row(core: str, par, source: str, acc: float, cycles, worst: int, option: str = "") -> dict:
    import numpy as np

    cycles = np.atleast_1d(np.asarray(cycles))
    return {"core": core, "parallelism": str(par), "option": option, "source": source, "accuracy": acc,
            "mean": float(cycles.mean()), "max": int(cycles.max()), "worst": int(worst)}  # fmt: skip


def _wavefront_rows(qnet, T: int, codes, acc: float) -> list[dict]:
    """The old per-timestep core's rows, or none once ``hw.wavefront`` is gone from the package."""
    try:
        from sc_neurocore.hw.wavefront import cycles_per_image as wavefront_cycles
    except ImportError:
        return []
    rows = []
    for par, skip in WAVEFRONT:
        worst = wavefront_cycles(qnet, T, par)
        cycles = [wavefront_cycles(qnet, T, par, skip_zeros=True, xq=img) for img in codes] if skip else worst
        rows.append(_row("SCWavefrontCore", par, "sobol", acc, cycles, worst, "skip_zeros" if skip else ""))
    return rows


def experiment(ckpt: Path, quick: bool) -> dict:
    import numpy as np
    from sc_neurocore.datasets import load_digits_split
    from sc_neurocore.sc.contract import quantize_probability
    from sc_neurocore.sc.network import SCNetwork

    image_cycles, cycles_per_image = _clock_model()
    ckpt, trained_by = _checkpoint(ckpt)
    _, x_test, _, y_test = load_digits_split()
    if quick:
        x_test, y_test = x_test[:40], y_test[:40]
    t0 = time.perf_counter()
    rows, nets = [], {}
    for rng in ("sobol", "lfsr"):
        qnet, T = _load(ckpt, rng)
        codes = quantize_probability(np.asarray(x_test, dtype=np.float64), qnet.config.prob_bits)
        pred = SCNetwork.from_quantized(qnet).run_codes(codes, T, trace=False).prediction
        nets[rng] = (qnet, codes, float(np.mean(pred == y_test)))
        for par in SETTINGS:
            rows.append(_row("SCNetworkCore", par, rng, nets[rng][2], image_cycles(qnet, T, par, codes),
                             cycles_per_image(qnet, T, par)))  # fmt: skip
    qnet, codes, acc = nets["sobol"]
    rows += _wavefront_rows(qnet, T, codes, acc)
    shown = ckpt.relative_to(common.ROOT) if ckpt.is_relative_to(common.ROOT) else ckpt
    return dict(schema=SCHEMA, bench=NAME, when=common.utc_now(), revision=common.git_revision(),
                seconds=time.perf_counter() - t0, checkpoint=str(shown), trained_by=trained_by, T=T,
                length=qnet.config.length, prob_bits=qnet.config.prob_bits, images=len(codes), rows=rows)  # fmt: skip


def render(d: dict) -> str:
    table = [[f"`{r['core']}` {r['parallelism']}" + (f" {r['option']}" if r["option"] else ""), r["source"], f"{r['accuracy']:.2%}", f"{r['mean']:,.0f}",
              f"{r['max']:,}", f"{r['worst']:,}"] + [f"{mhz * 1e6 / r['mean']:,.0f}" for mhz in CLOCKS_MHZ]
             for r in d["rows"]]  # fmt: skip
    header = ["core (parallelism)", "source", "SC accuracy", "mean", "max", "worst",
              f"images/s at {CLOCKS_MHZ[0]} MHz (mean)"] + [f"at {mhz} MHz" for mhz in CLOCKS_MHZ[1:]]  # fmt: skip
    return "\n".join([
        "# Gateware: clocks per image",
        "",
        f"Produced by `{d['command']}` on {d['when']} ({d['seconds']:.0f} s), commit {d['revision']}. Net: "
        f"`{d['checkpoint']}` (digits 64-128-10, T={d['T']}, L={d['length']}, k={d['prob_bits']}; trained by "
        f"`{d['trained_by']}`), {d['images']} digits test images.",
        "",
        "Clocks from the input stream's first code to the next image's first code, images back to back.",
        "*mean* and *max* are over the test images: zero pixels and hidden neurons that never spike",
        "cost the time-batched core nothing; *worst* assumes every input non-zero and every hidden neuron",
        "active. The engine's figures are exact (`image_cycles`; `tests/hw/test_network.py` checks the",
        "model against simulation clock for clock); the wavefront core's are its `cycles_per_image`.",
        "*SC accuracy*: the SC model on these images with that source (the RTL reproduces its integers).",
        "",
        common.md_table(header, table),
        "",
        "Settings: `(lanes, tlanes)` = neurons x timesteps per clock for `SCNetworkCore`; `(lanes, width)`",
        "per layer = neurons x inputs per clock for `SCWavefrontCore`. The iCEBreaker builds (1, 16) and the",
        "ULX3S (8, 25), both with the Sobol source: see `docs/bench/boards.md` for their resources and fmax.",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(prog="python " + SCRIPT, description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    p.add_argument("--quick", action="store_true", help="first 40 test images only")
    p.add_argument("--out-dir", type=Path, default=common.REPORT_DIR)
    common.add_render_only(p)
    args = p.parse_args(argv)
    data = common.saved_or_new(SCRIPT, NAME, SCHEMA, args, argv, lambda: experiment(args.checkpoint, args.quick))
    if data is None:
        return 2
    path = common.write_report(NAME, render(data), args.out_dir)
    print(f"[gateware] wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
