"""What the float nets' input check costs (issue 10 item 8): the documented digits run with and without it.

``SpikingNet`` refuses NaN, inf and values outside ``input_range`` with one ``torch.aminmax`` per
forward (over one step when the steps are one expanded tensor, as ``train_epoch`` passes them).
This times, interleaved (order rotated each round, one torch thread), the seconds per training
epoch (``train_epoch``, digits, 64 -> 128 -> 10, T = 25, batch 64) and the milliseconds of one
inference forward over the 360 test images, with the check and with it replaced by a no-op::

    python bench/input_check_cost.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args(argv)

    import torch
    from sc_neurocore.datasets import load_digits_split
    from sc_neurocore.training import SpikingNet, train_epoch
    from sc_neurocore.training.networks import _SpikingClassifier
    from torch.utils.data import DataLoader, TensorDataset

    torch.set_num_threads(1)
    x_tr, x_te, y_tr, _ = load_digits_split()
    loader = DataLoader(TensorDataset(torch.tensor(x_tr), torch.tensor(y_tr)), batch_size=64, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    x_te = torch.tensor(x_te)
    checked = _SpikingClassifier._check_values
    variants = {"with the check": checked, "without (no-op)": lambda self, x, static: None}
    torch.manual_seed(0)
    models = {key: SpikingNet(64, 128, 10) for key in variants}
    optims = {key: torch.optim.Adam(m.parameters(), lr=2e-3) for key, m in models.items()}
    epoch_s = {key: [] for key in variants}
    infer_ms = {key: [] for key in variants}
    keys = list(variants)
    try:
        for r in range(args.rounds + 1):  # round 0 warms up
            for key in keys[r % 2:] + keys[: r % 2]:
                _SpikingClassifier._check_values = variants[key]
                t0 = time.perf_counter()
                train_epoch(models[key], loader, optims[key], 25, progress=False)
                t1 = time.perf_counter()
                with torch.no_grad():
                    for _ in range(5):
                        models[key].forward_static(x_te, 25)
                t2 = time.perf_counter()
                if r:
                    epoch_s[key].append(t1 - t0)
                    infer_ms[key].append((t2 - t1) / 5 * 1e3)
    finally:
        _SpikingClassifier._check_values = checked
    for key in keys:
        print(f"{key:>16}: {statistics.median(epoch_s[key]):.3f} s/epoch, "
              f"{statistics.median(infer_ms[key]):.2f} ms per 360-image forward (medians of {args.rounds})")
    on, off = keys
    print(f"ratio with/without: training {statistics.median(epoch_s[on]) / statistics.median(epoch_s[off]):.3f}, "
          f"inference {statistics.median(infer_ms[on]) / statistics.median(infer_ms[off]):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
