import pytest
import torch
from sc_neurocore.datasets import load_digits_split
from sc_neurocore.training import (
    SpikingNet,
    auto_device,
    evaluate,
    membrane_loss,
    rate_encode,
    spike_count_loss,
    spike_rate_loss,
    train_epoch,
)
from sc_neurocore.training.loop import _batches
from torch.utils.data import DataLoader, TensorDataset


def digits_loaders(batch_size=64, seed=0):
    x_tr, x_te, y_tr, y_te = (torch.as_tensor(a) for a in load_digits_split())
    g = torch.Generator().manual_seed(seed)
    train = DataLoader(TensorDataset(x_tr, y_tr), batch_size=batch_size, shuffle=True, generator=g)
    test = DataLoader(TensorDataset(x_te, y_te), batch_size=256)
    return train, test


def test_short_digits_training_is_well_above_chance():
    torch.manual_seed(0)
    train, test = digits_loaders()
    model = SpikingNet(64, 128, 10, beta=0.9)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    _, acc0 = evaluate(model, test, 25)
    for _ in range(3):
        loss, acc = train_epoch(model, train, opt, 25, progress=False)
    val_loss, val_acc = evaluate(model, test, 25)
    assert val_acc >= 0.85, val_acc  # chance is 0.10
    assert val_acc > acc0 + 0.3
    assert 0 < val_loss < 2.3


@pytest.mark.slow
def test_digits_ten_epochs_three_seeds():
    accs = []
    for seed in range(3):
        torch.manual_seed(seed)
        train, test = digits_loaders(seed=seed)
        model = SpikingNet(64, 128, 10, beta=0.9)
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)
        for _ in range(10):
            train_epoch(model, train, opt, 25, progress=False)
        accs.append(evaluate(model, test, 25)[1])
    assert min(accs) >= 0.95, accs
    assert sum(accs) / 3 >= 0.965, accs


def test_fast_batches_equal_dataloader_batches():
    x, y = torch.rand(50, 3), torch.arange(50)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
    torch.manual_seed(11)
    plain = [tuple(b) for b in loader]
    torch.manual_seed(11)
    fast = list(_batches(loader))
    assert len(plain) == len(fast) == 7
    for (xa, ya), (xb, yb) in zip(plain, fast):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert torch.equal(torch.rand(3), (torch.manual_seed(11), [tuple(b) for b in loader], torch.rand(3))[2])


def test_plain_iterables_and_pre_encoded_batches():
    torch.manual_seed(0)
    x = torch.rand(32, 6)
    y = (x[:, 0] > 0.5).long()
    model = SpikingNet(6, 16, 2, threshold=0.5)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = [(rate_encode(x[i : i + 8], 10, seed=i), y[i : i + 8]) for i in range(0, 32, 8)]
    loss, acc = train_epoch(model, batches, opt, 10, progress=False)
    assert loss > 0 and 0 <= acc <= 1
    # evaluate on the static batches gives the same as calling the model directly
    _, acc_eval = evaluate(model, [(x, y)], 10)
    counts, _ = model.forward_static(x, 10)
    assert acc_eval == pytest.approx((counts.argmax(1) == y).float().mean().item())


@pytest.mark.parametrize("loss_fn", [membrane_loss, spike_rate_loss])
def test_other_losses(loss_fn):
    torch.manual_seed(0)
    model = SpikingNet(6, 16, 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss, acc = train_epoch(model, [(torch.rand(8, 6), torch.randint(0, 2, (8,)))], opt, 5, loss_fn=loss_fn)
    assert loss > 0


def test_progress_bar_can_be_on(capsys):
    model = SpikingNet(6, 16, 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    train_epoch(model, [(torch.rand(8, 6), torch.randint(0, 2, (8,)))], opt, 5, progress=True)
    assert "train" in capsys.readouterr().err


def test_auto_device():
    device = auto_device()
    assert isinstance(device, torch.device)
    assert device.type == ("cuda" if torch.cuda.is_available() else device.type)


def test_errors():
    model = SpikingNet(6, 16, 2)
    opt = torch.optim.Adam(model.parameters())
    with pytest.raises(ValueError, match="T=5"):
        train_epoch(model, [(torch.rand(4, 3, 6), torch.zeros(3, dtype=torch.long))], opt, 5)
    with pytest.raises(ValueError, match="T must"):
        evaluate(model, [(torch.rand(3, 6), torch.zeros(3, dtype=torch.long))], 0)
    with pytest.raises(ValueError, match="labels"):
        evaluate(model, [(torch.rand(3, 6), torch.zeros(4, dtype=torch.long))], 5)
    with pytest.raises(ValueError, match="no batches"):
        evaluate(model, [], 5)
    with pytest.raises(TypeError, match="pairs"):
        evaluate(model, [([0.0] * 6, 1)], 5)


def test_resolve_device(monkeypatch):
    from sc_neurocore.training import auto_device, resolve_device

    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(None) == auto_device() == resolve_device("auto")
    with pytest.raises(ValueError, match="'gpu0' is not a torch device; use cpu, cuda"):
        resolve_device("gpu0")
    # a CPU-only torch build
    monkeypatch.setattr(torch.version, "cuda", None)
    with pytest.raises(ValueError, match=r"device 'cuda': this torch \(.*a CPU-only build\) sees no CUDA GPU.*install"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="trains on cpu, cuda or mps, not meta"):
        resolve_device("meta")
    # a CUDA build on a machine without a GPU, and a GPU index past the last one
    monkeypatch.setattr(torch.version, "cuda", "12.4")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"built for CUDA 12.4\) sees no CUDA GPU"):
        resolve_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ValueError, match=r"has 1 CUDA GPU\(s\), numbered from 0"):
        resolve_device("cuda:1")
    assert resolve_device("cuda:0") == torch.device("cuda:0")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ValueError, match="MPS"):
        resolve_device("mps")


# ------------------------------------------------------------------ the published API's keywords (issue 12, item 7)


def _image_loader(n=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 8, 8, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    return DataLoader(TensorDataset(x, y), batch_size=4), x, y


def _trained(call, seed=3):
    torch.manual_seed(seed)
    model = SpikingNet(64, 16, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    out = call(model, opt)
    return out, [p.detach().clone() for p in model.parameters()]


def test_published_keywords_equal_the_seed_positional_call():
    loader, x, y = _image_loader()
    flat = DataLoader(TensorDataset(x.flatten(1), y), batch_size=4)
    seed_out, seed_params = _trained(lambda m, o: train_epoch(m, flat, o, 6, progress=False))
    pub_out, pub_params = _trained(lambda m, o: train_epoch(
        m, loader, o, n_timesteps=6, loss_fn=spike_count_loss,
        device="cpu", max_grad_norm=None, flatten_input=True, progress=False))
    assert seed_out == pub_out
    assert all(torch.equal(a, b) for a, b in zip(seed_params, pub_params))
    model = SpikingNet(64, 16, 10)
    assert evaluate(model, loader, n_timesteps=6, flatten_input=True) == evaluate(model, flat, 6)


def test_loss_fn_in_the_published_fifth_position():
    loader, *_ = _image_loader()
    a, pa = _trained(lambda m, o: train_epoch(m, loader, o, 5, membrane_loss, progress=False))
    b, pb = _trained(lambda m, o: train_epoch(m, loader, o, 5, loss_fn=membrane_loss, progress=False))
    assert a == b and all(torch.equal(p, q) for p, q in zip(pa, pb))
    model = SpikingNet(64, 16, 10)
    assert evaluate(model, loader, 5, membrane_loss) == evaluate(model, loader, 5, loss_fn=membrane_loss)


def test_default_timesteps_is_25():
    loader, *_ = _image_loader()
    model = SpikingNet(64, 16, 10)
    assert evaluate(model, loader) == evaluate(model, loader, 25) == evaluate(model, loader, n_timesteps=25)


def test_flatten_input_false_passes_images_as_they_are():
    loader, *_ = _image_loader()
    with pytest.raises(ValueError, match=r"SpikingNet expects x of shape \(T, batch, 64\)"):
        evaluate(SpikingNet(64, 16, 10), loader, 3, flatten_input=False)


def test_max_grad_norm_clips_the_step():
    loader, *_ = _image_loader()
    _, free = _trained(lambda m, o: train_epoch(m, loader, o, 6, progress=False))
    _, clipped = _trained(lambda m, o: train_epoch(m, loader, o, 6, max_grad_norm=1e-3, progress=False))
    torch.manual_seed(3)
    start = [p.detach().clone() for p in SpikingNet(64, 16, 10).parameters()]
    moved = lambda ps: sum(float((p - q).norm() ** 2) for p, q in zip(ps, start)) ** 0.5  # noqa: E731
    # SGD lr 0.5, 3 batches, each step's gradient norm clipped to 1e-3: the weights move at most 3 * 0.5e-3
    assert moved(clipped) <= 3 * 0.5 * 1e-3 + 1e-9
    assert moved(free) > 10 * moved(clipped)


@pytest.mark.parametrize("kwargs,exc,text", [
    (dict(T=5, n_timesteps=6), ValueError, "disagree"),
    (dict(n_timesteps=0), ValueError, "T must be a positive integer"),
    (dict(flatten_input="yes"), TypeError, "flatten_input must be a bool"),
    (dict(max_grad_norm=0), ValueError, "max_grad_norm must be None or a number > 0"),
])
def test_keyword_errors(kwargs, exc, text):
    loader, *_ = _image_loader()
    model = SpikingNet(64, 16, 10)
    with pytest.raises(exc, match=text):
        train_epoch(model, loader, torch.optim.SGD(model.parameters(), lr=0.1), **kwargs)
