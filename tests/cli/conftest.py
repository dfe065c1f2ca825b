"""Fixtures of the command-line tests: small nets on disk and a runner that captures exit code and output."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest


def small_qnet(sizes=(64, 6, 10), config=None, seed=0):
    """A random dense ``QuantizedNet`` (hidden neurons spike: weights drawn around +0.2)."""
    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.sc.contract import SCConfig

    g = np.random.default_rng(seed)
    weights = [g.normal(0.2, 1.0, (b, a)) / np.sqrt(a) * 2 for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [g.normal(0, 0.1, b) for b in sizes[1:]]
    n = len(weights)
    return QuantizedNet.from_float(weights, biases, [0.85] * n, [0.5] * n, config or SCConfig(length=4))


@pytest.fixture(scope="session")
def make_qnet():
    """``make_qnet(sizes, config, seed)``: :func:`small_qnet`."""
    return small_qnet


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """``cli(*argv) -> Result``: ``sc_neurocore.cli.main`` in-process; argparse's SystemExit becomes the code."""
    from sc_neurocore.cli import main

    def run(*argv):
        capsys.readouterr()
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        cap = capsys.readouterr()
        return Result(code, cap.out, cap.err)

    return run


@pytest.fixture(scope="session")
def export_npz(tmp_path_factory):
    """A saved random 64-6-10 export (L=4, the contract's default source)."""
    path = tmp_path_factory.mktemp("nets") / "net.npz"
    small_qnet().save(path)
    return path


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory):
    """An untrained 64-8-10 SpikingNet checkpoint (dataset digits, T=5)."""
    torch = pytest.importorskip("torch")
    from sc_neurocore.training import SpikingNet, save_checkpoint

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("nets") / "net.pt"
    save_checkpoint(SpikingNet(n_input=64, n_hidden=8, n_output=10), path, dataset="digits", epochs=0, seed=0, T=5)
    return path


@pytest.fixture(scope="session")
def conv_checkpoint(tmp_path_factory):
    torch = pytest.importorskip("torch")
    from sc_neurocore.training import ConvSpikingNet, save_checkpoint

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("nets") / "conv.pt"
    save_checkpoint(ConvSpikingNet(input_shape=(1, 8, 8), channels=(2,), kernel_size=3), path, dataset="digits")
    return path


@pytest.fixture(scope="session")
def nir_files(tmp_path_factory, export_npz):
    """``{"nir": ..., "nirconv": ..., "nirnorse": ...}``: NIR files (paths to nothing when nir is not installed).

    ``nir``: the 64-6-10 export written by ``to_nir``; ``nirconv``: a graph with a Conv2d node named
    ``conv``; ``nirnorse``: a LIF whose tau is written times dt, as Norse's exporter does (Norse #411).
    """
    import importlib.util

    tmp = tmp_path_factory.mktemp("nir")
    paths = {k: tmp / f"{k}.nir" for k in ("nir", "nirconv", "nirnorse")}
    if importlib.util.find_spec("nir") is not None:
        import nir
        from sc_neurocore.export import QuantizedNet
        from sc_neurocore.nir import to_nir

        nir.write(paths["nir"], to_nir(QuantizedNet.load(export_npz), T=5))
        conv = nir.Conv2d(input_shape=(8, 8), weight=np.ones((1, 1, 3, 3)), stride=1, padding=0, dilation=1,
                          groups=1, bias=np.zeros(1))
        nir.write(paths["nirconv"], nir.NIRGraph(
            nodes={"input": nir.Input(input_type={"input": np.array([1, 8, 8])}), "conv": conv,
                   "output": nir.Output(output_type={"output": np.array([1, 6, 6])})},
            edges=[("input", "conv"), ("conv", "output")], type_check=False))
        g = to_nir(small_qnet())
        g.nodes["lif0"].tau = g.nodes["lif0"].tau * 1e-3
        nir.write(paths["nirnorse"], g)
    else:
        for p in paths.values():
            p.write_text("nir is not installed: the rows that need this file are skipped\n")
    return {k: str(p) for k, p in paths.items()}
