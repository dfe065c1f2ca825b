import pytest
import torch
from sc_neurocore.training import ConvSpikingNet, SpikingNet, superspike
from sc_neurocore.training.checkpoint import load_checkpoint, save_checkpoint


def test_spiking_net_round_trip(tmp_path):
    torch.manual_seed(0)
    model = SpikingNet(8, 12, 3, n_layers=2, beta=0.8, threshold=0.7,
                       surrogate_fn=superspike.with_params(beta=4.0), learn_beta=True)
    with torch.no_grad():
        model.lifs[0].beta.fill_(0.66)
    path = save_checkpoint(model, tmp_path / "net.pt", dataset="digits", val_accuracy=0.97, history=[{"epoch": 1}])
    loaded, meta = load_checkpoint(path)
    assert isinstance(loaded, SpikingNet) and not loaded.training
    assert meta == {"dataset": "digits", "val_accuracy": 0.97, "history": [{"epoch": 1}]}
    assert loaded.sizes == (8, 12, 12, 3)
    assert loaded.lifs[0].surrogate_fn == superspike.with_params(beta=4.0)
    assert float(loaded.lifs[0].beta.detach()) == pytest.approx(0.66)
    x = torch.rand(10, 4, 8)
    for a, b in zip(model(x), loaded(x)):
        assert torch.equal(a, b)


def test_conv_round_trip(tmp_path):
    model = ConvSpikingNet(n_output=3, input_shape=(1, 10, 10), channels=(2,), kernel_size=3)
    loaded, meta = load_checkpoint(save_checkpoint(model, tmp_path / "conv.pt"))
    assert meta == {}
    x = torch.rand(3, 2, 100)
    assert torch.equal(model(x)[1], loaded(x)[1])


def test_errors(tmp_path):
    with pytest.raises(TypeError, match="surrogate"):
        save_checkpoint(SpikingNet(2, 3, 2, surrogate_fn=lambda x: (x > 0).float()), tmp_path / "a.pt")
    with pytest.raises(TypeError, match="plain value"):
        save_checkpoint(SpikingNet(2, 3, 2), tmp_path / "b.pt", bad=object())
    with pytest.raises(TypeError, match="supports"):
        save_checkpoint(torch.nn.Linear(2, 2), tmp_path / "c.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not an sc-neurocore checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")
    torch.save({"format": "other"}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not an sc-neurocore checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
