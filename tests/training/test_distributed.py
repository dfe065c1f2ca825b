"""DDP training under torchrun on the CPU (gloo): two processes end with the weights one process reaches with the
same global batches, and only rank 0 writes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

#: Largest weight difference allowed between 2 processes and 1 after the test's 10 Adam steps (lr 2e-3): DDP
#: averages two half-batch gradients where one process takes the mean over the whole batch -- the same number up
#: to float rounding, which Adam's per-coordinate normalisation turns into a small fraction of a step for the
#: coordinates whose gradient is near 0.  Measured: 1.9e-4 after 10 steps (5e-5 after 5, 5e-4 after 20), so 5 %
#: of a step per step.  A different global batch (the control below) moves the weights by far more.
TOLERANCE = 0.05 * 2e-3 * 10


def _data(path, n=96, n_in=12, seed=0):
    """A small learnable task: 4 classes, each a noisy prototype in [0, 1]."""
    rng = np.random.default_rng(seed)
    protos = rng.random((4, n_in))
    y = rng.integers(0, 4, n)
    x = np.clip(protos[y] + rng.normal(0, 0.1, (n, n_in)), 0, 1)
    np.savez(path, x=x.astype(np.float32), y=y)
    return path


def _train(tmp_path, nproc, name, extra=()):
    out = tmp_path / name
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc),
           "-m", "sc_neurocore.cli", "train", "--ddp", "--data", str(tmp_path / "d.npz"), "--hidden", "8",
           "--epochs", "2", "--batch-size", "16", "--seed", "3", "--device", "cpu", "--no-progress", "-o", str(out),
           *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, proc.stdout


def test_two_processes_reach_one_process_weights_and_rank_0_writes(tmp_path):
    from sc_neurocore.training.checkpoint import load_checkpoint

    _data(tmp_path / "d.npz")
    one, _ = _train(tmp_path, 1, "one.pt")
    two, stdout = _train(tmp_path, 2, "two.pt")
    assert stdout.count("saved ") == 1 and stdout.count("training ") == 1  # rank 1 logs and writes nothing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.npz", "one.pt", "two.pt"]  # one checkpoint per run
    (m1, meta1), (m2, meta2) = load_checkpoint(one), load_checkpoint(two)
    assert meta2["ddp"]["world_size"] == 2 and meta1["ddp"]["world_size"] == 1 and meta2["ddp"]["global_batch"] == 16
    s1, s2 = m1.state_dict(), m2.state_dict()
    assert s1.keys() == s2.keys()
    def gap(a, b):
        return max(float((a[k].double() - b[k].double()).abs().max()) for k in a)

    assert gap(s1, s2) <= TOLERANCE, gap(s1, s2)
    # the control: one process with half the global batch (what a rank alone would take) lands elsewhere
    half, _ = _train(tmp_path, 1, "half.pt", ("--batch-size", "8"))
    assert gap(s1, load_checkpoint(half)[0].state_dict()) > 5 * TOLERANCE


def test_ddp_outside_torchrun_is_refused(tmp_path):
    _data(tmp_path / "d.npz")
    proc = subprocess.run([sys.executable, "-m", "sc_neurocore.cli", "train", "--ddp", "--data", str(tmp_path / "d.npz"),
                           "--epochs", "1", "-o", str(tmp_path / "x.pt")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "torchrun --nproc_per_node N" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.pt").exists()


def test_the_global_batch_must_divide_over_the_processes(tmp_path):
    _data(tmp_path / "d.npz")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m",
           "sc_neurocore.cli", "train", "--ddp", "--data", str(tmp_path / "d.npz"), "--batch-size", "15", "--epochs",
           "1", "--device", "cpu", "-o", str(tmp_path / "x.pt")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0 and "must be a multiple of the 2 processes" in proc.stderr
