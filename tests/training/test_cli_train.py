import pytest
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
