"""Fixtures of the sweep tests: a small checkpoint and the command line run in-process."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@pytest.fixture(scope="session")
def small_ckpt(tmp_path_factory):
    """A 64-8-10 SpikingNet checkpoint (seed 0, trained 1 epoch on 200 digits images so the classes differ), T=4."""
    torch = pytest.importorskip("torch")
    from sc_neurocore.datasets import load_dataset
    from sc_neurocore.training import SpikingNet, save_checkpoint

    x, y = load_dataset("digits", "train")
    torch.manual_seed(0)
    model = SpikingNet(n_input=64, n_hidden=8, n_output=10)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    xt, yt = torch.tensor(x[:200]), torch.tensor(y[:200])
    for _ in range(5):
        opt.zero_grad()
        counts, _ = model(xt[None].expand(4, -1, -1))
        loss = torch.nn.functional.cross_entropy(counts, yt)
        loss.backward()
        opt.step()
    path = tmp_path_factory.mktemp("sweep") / "small.pt"
    save_checkpoint(model, path, dataset="digits", epochs=1, seed=0, T=4)
    return path


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def sweep_cli(capsys):
    """``sweep_cli(*argv) -> Result``: ``sc-neurocore sweep ...`` in-process (argparse's SystemExit becomes the code)."""
    from sc_neurocore.cli import main

    def run(*argv):
        capsys.readouterr()
        try:
            code = main(["sweep", *map(str, argv)])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
        cap = capsys.readouterr()
        return Result(code, cap.out, cap.err)

    return run
