"""The conv training benchmark's peers run the same net (same weights -> same counts), its report renders from
data alone, and bench_gpu exits 3 without a GPU."""

from __future__ import annotations

import bench_conv_training
import bench_gpu
import numpy as np
import pytest
import torch
from peers.conv_peers import CONV_PEERS, ConvSpec, conv_weights, load_conv_weights

SPEC = ConvSpec(input_shape=(1, 12, 12), channels=(4, 6), kernel=3, n_out=5, theta=0.5)


@pytest.mark.parametrize("cls", CONV_PEERS[1:], ids=lambda c: c.key)
def test_same_weights_same_counts(cls):
    peer = cls()
    if peer.status() is not None:
        pytest.skip(f"{peer.label}: {peer.status()}")
    ours = CONV_PEERS[0]()
    torch.manual_seed(0)
    ref_model = ours.build(SPEC)
    weights = conv_weights(ref_model)
    x = torch.rand(6, 144, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = ours.infer(ref_model, ours.input_for(x, 10))
        model = peer.build(SPEC)
        load_conv_weights(model, weights)
        counts = peer.infer(model.eval(), peer.input_for(x, 10))
    assert float(ref.sum()) > 0
    assert torch.equal(counts, ref)


def test_load_conv_weights_refuses_another_shape():
    model = CONV_PEERS[0]().build(SPEC)
    weights = conv_weights(model)
    with pytest.raises(ValueError, match="layers"):
        load_conv_weights(model, weights[:-1])
    with pytest.raises(ValueError, match="shape"):
        load_conv_weights(model, [(np.zeros((1, 1)), np.zeros(1))] + weights[1:])


def test_conv_report_renders_ratios_from_data():
    libs = [dict(key=k, label=k.title(), version="1", note="n", status=None, error="", epoch_s=e, infer_s=[0.5, 1.0],
                 accuracy=50.0) for k, e in (("ours", [9.0, 1.0, 3.0]), ("snntorch", [9.0, 8.0, 8.0]),
                                             ("spikingjelly", [9.0, 4.0, 6.0]))]  # fmt: skip
    data = dict(command="python bench/bench_conv_training.py", when="now", revision="abc", torch="2",
                machine=dict(cpu="cpu", load="1"), settings=dict(train=64, test=10, epochs=3, T=25, threads=1,
                batch=64, lr=2e-3, infer_batch=256, infer_repeats=2), allocator=dict(reuse_freed_memory=True,
                kernel="loaded x"), libs=libs, same_weights=[])  # fmt: skip
    text = bench_conv_training.render(data)
    assert "| Spikingjelly | 0.40x |" in text  # median(1, 3) / median(4, 6) = 2 / 5: the warm-up epoch left out
    assert "(Spikingjelly): **0.40x, met**" in text
    assert "| Ours | 1 | 2.000 (1.000) | 341 |" in text  # 256 images / median(0.5, 1.0) s


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA GPU is here: the benchmark would run")
def test_bench_gpu_exits_3_without_a_gpu(capsys):
    assert bench_gpu.main(["--tasks", "dense"]) == 3
    err = capsys.readouterr().err
    assert "GPU figures stay pending" in err and "bench/bench_gpu.py:" in err
