"""The recurrent training benchmark's report renders its ratios from the data alone (the warm-up epoch left out)."""

from __future__ import annotations

import bench_recurrent_training


def _data():
    nets = [dict(key=k, label=k.upper(), epoch_s=e, cpu_s=[x / 2 for x in e], accuracy=90.0)
            for k, e in (("lif", [9.0, 1.0, 1.0]), ("fused", [9.0, 2.0, 4.0]), ("loop", [9.0, 6.0, 6.0]))]  # fmt: skip
    return dict(command="python bench/bench_recurrent_training.py", when="now", revision="abc", torch="2",
                machine=dict(cpu="cpu", load="1"), kernel="loaded x",
                settings=dict(train=64, test=10, epochs=3, T=25, threads=1, batch=64, lr=2e-3), nets=nets,
                weight_drift=0.5)  # fmt: skip


def test_report_renders_ratios_from_data():
    text = bench_recurrent_training.render(_data())
    assert "| FUSED | 3.00 (2.00) | 1.50 | 90.00 |" in text  # median(2, 4): the first epoch is a warm-up
    assert "Fused / step loop: 0.50x the time per epoch (2.0x faster)" in text
    assert "now takes 3.00x the LIF net's time (the step loop 6.00x)" in text


def test_quick_option_is_two_epochs():
    args = bench_recurrent_training.parse_args(["--quick"])
    assert args.epochs == 2 and args.threads == 1
