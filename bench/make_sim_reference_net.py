"""Make the co-simulation regression's reference net and inputs: ``sim/data/digits_reference.{npz,json}``, ``digits_test.npz``.

The regression (``python -m sc_neurocore.sim.regression``, ``nox -s sim``) runs a trained digits
net through the RTL without torch and without training anything: this script made the net it
ships as package data of ``sc_neurocore.sim``.  Run it again only to replace that net::

    python bench/make_sim_reference_net.py            # writes sim/data/digits_reference.{npz,json}
    python bench/make_sim_reference_net.py --net conv # sim/data/digits_conv_reference.{npz,json} (8c3, pool 2)

It trains with the command line (``sc-neurocore train --dataset digits --epochs 10 --seed 0``),
exports with ``model.to_quantized(SCConfig(length=16, rng="sobol")).save(...)`` and records, beside
the net, the float model's predictions on the digits test split at T = 25 (the regression's float
column, computed here because the regression has no torch), and the test split itself
(``digits_test.npz``: the regression needs no scikit-learn either).  The source (``rng``) in the file does
not matter: an export's integers do not depend on it (``sc_neurocore.export.QuantizedNet.from_float``),
so the regression replaces it with the one it checks.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE.parent / "sim" / "data"
EPOCHS, SEED, LENGTH, T = 10, 0, 16, 25
#: net -> (the train command's extra options, epochs, the files' stem)
NETS = {"dense": ([], EPOCHS, "digits_reference"),
        "conv": (["--arch", "conv"], 15, "digits_conv_reference")}


def write_test_set(folder: Path) -> Path:
    """``digits_test.npz``: the digits test split as ``pixels`` (uint8, 0..16; x = pixels / 16) and ``labels``."""
    from sc_neurocore.datasets import load_dataset

    x, y = load_dataset("digits", "test")
    pixels = np.rint(np.asarray(x, dtype=np.float64) * 16).astype(np.uint8)
    assert np.array_equal(pixels / 16.0, np.asarray(x, dtype=np.float64)), "digits pixels are sixteenths"
    path = folder / "digits_test.npz"
    np.savez_compressed(path, pixels=pixels, labels=np.asarray(y, dtype=np.int64))
    return path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT, help=f"folder (default {DEFAULT_OUT})")
    p.add_argument("--net", choices=tuple(NETS), default="dense",
                   help="the dense reference net (default) or the conv one (1x8x8-8c3-pool2-10)")
    args = p.parse_args(argv)
    extra, epochs, stem = NETS[args.net]

    import torch
    from sc_neurocore.datasets import load_dataset
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.training.checkpoint import load_checkpoint

    train = [sys.executable, "-m", "sc_neurocore.cli", "train", "--dataset", "digits", *extra, "--epochs", str(epochs),
             "--seed", str(SEED), "--no-progress", "--device", "cpu"]
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "digits.pt"
        subprocess.run([*train, "-o", str(ckpt)], check=True)
        model, meta = load_checkpoint(ckpt)
    qnet = model.to_quantized(SCConfig(length=LENGTH, rng="sobol"))
    x, y = load_dataset("digits", "test")
    with torch.no_grad():
        counts, _ = model(torch.as_tensor(x, dtype=torch.float32).unsqueeze(0).expand(T, -1, -1))
    float_pred = counts.argmax(1).numpy().astype(np.int64)
    args.output.mkdir(parents=True, exist_ok=True)
    qnet.save(args.output / f"{stem}.npz")
    write_test_set(args.output)
    info = {
        "made_by": "python bench/make_sim_reference_net.py" + ("" if args.net == "dense" else f" --net {args.net}"),
        "train_command": " ".join(["sc-neurocore", *train[3:10 + len(extra)], "--device", "cpu"]),
        "export": f"model.to_quantized(SCConfig(length={LENGTH}, rng='sobol'))",
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d"),
        "torch": torch.__version__, "python": platform.python_version(),
        "sizes": list(qnet.sizes), "shape": qnet.describe(), "epochs": epochs, "seed": SEED, "T": T,
        "dataset": "digits", "split": "test", "n_images": len(y),
        "float_accuracy": float(np.mean(float_pred == y)),
        "float_prediction": float_pred.tolist(),
    }
    (args.output / f"{stem}.json").write_text(json.dumps(info, indent=1) + "\n")
    print(f"wrote {args.output / f'{stem}.npz'}: net {qnet.describe()}, "
          f"float test accuracy {info['float_accuracy']:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
