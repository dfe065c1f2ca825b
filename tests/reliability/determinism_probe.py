"""One process's fingerprints of everything that should be reproducible: ``python determinism_probe.py THREADS OUT``.

Run by ``test_determinism.py`` and ``bench/determinism.py`` in fresh processes with different
``PYTHONHASHSEED`` values and torch thread counts; prints (and writes to ``OUT``) a JSON object of
SHA-256 digests:

``training``      the tensors of a checkpoint from ``sc-neurocore train`` (CPU, seed 0, 1 epoch, 16 hidden);
``sc_model``      the NumPy SC model's integers (counts, currents, membranes, spikes) on 20 test images,
                  for the trained net quantised with ``SCConfig()``;
``vectors``       the arrays of a vector file written for those images (``save_vectors``), and
``vectors_file``  its bytes (a zip: entry timestamps included);
``verilog``       the network core's Verilog (``sc-neurocore export-verilog``'s text);
``export_file``   the bytes of the ``QuantizedNet`` export.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path


def _h(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
    return h.hexdigest()


def probe(threads: int) -> dict:
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    from sc_neurocore.cli import main
    from sc_neurocore.datasets import load_dataset
    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.sc.contract import SCConfig, quantize_probability
    from sc_neurocore.sc.network import SCNetwork
    from sc_neurocore.sim.vectors import load_vectors, make_vectors, save_vectors
    from sc_neurocore.training.checkpoint import load_checkpoint

    out = {"threads": torch.get_num_threads(), "hashseed": __import__("os").environ.get("PYTHONHASHSEED")}
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "net.pt"
        code = main(["train", "--epochs", "1", "--hidden", "16", "--seed", "0", "--T", "8", "--device", "cpu",
                     "--no-progress", "-o", str(ckpt)])
        assert code == 0, code
        model, _ = load_checkpoint(ckpt)
        state = model.state_dict()
        out["training"] = _h(*[k.encode() + state[k].numpy().tobytes() for k in sorted(state)])
        qnet = model.to_quantized(SCConfig())
        x, _ = load_dataset("digits", "test")
        codes = quantize_probability(x[:20], qnet.config.prob_bits)
        trace = SCNetwork.from_quantized(qnet).run_codes(codes, 8, trace=True)
        arrays = [trace.counts] + [a for n in ("sc_counts", "currents", "membranes", "spikes") for a in getattr(trace, n)]
        out["sc_model"] = _h(*[np.ascontiguousarray(a, dtype=np.int64).tobytes() for a in arrays])
        vpath = Path(tmp) / "v.npz"
        save_vectors(make_vectors(qnet, codes, 8), vpath)
        with np.load(vpath) as data:
            out["vectors"] = _h(*[k.encode() + data[k].tobytes() for k in sorted(data.files)])
        load_vectors(vpath)
        out["vectors_file"] = _h(vpath.read_bytes())
        npz = Path(tmp) / "net.npz"
        qnet.save(npz)
        out["export_file"] = _h(npz.read_bytes())
        QuantizedNet.load(npz)
        v = Path(tmp) / "net.v"
        code = main(["export-verilog", "--export", str(npz), "--T", "8", "-o", str(v)])
        assert code == 0, code
        out["verilog"] = _h(v.read_bytes())
    return out


if __name__ == "__main__":
    result = probe(int(sys.argv[1]))
    text = json.dumps(result, indent=1)
    if len(sys.argv) > 2:
        Path(sys.argv[2]).write_text(text)
    print(text)
