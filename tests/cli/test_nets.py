"""``load_net`` (the one loader) and the messages for files that are not what they should be."""

from __future__ import annotations

import numpy as np
import pytest
from sc_neurocore.cli.nets import CONV_UNSUPPORTED, DEFAULT_T, LoadedNet, dense_only, describe_file, load_net
from sc_neurocore.sc.contract import SCConfig


def test_checkpoint_default_config_and_T(checkpoint):
    net = load_net(checkpoint)
    assert isinstance(net, LoadedNet) and net.model is not None
    assert net.qnet.config == SCConfig() and net.T == 5 and net.meta["dataset"] == "digits"
    other = load_net(checkpoint, config=SCConfig(rng="sobol", length=8), T=7)
    assert other.qnet.config.rng == "sobol" and other.qnet.config.length == 8 and other.T == 7
    assert not np.array_equal(net.qnet.layers[0].weight_q, 0)


def test_export_keeps_its_config(export_npz):
    net = load_net(export=export_npz)
    assert net.model is None and net.meta == {} and net.T == DEFAULT_T and net.qnet.config.length == 4
    assert load_net(export=export_npz, config=net.qnet.config).qnet.config == net.qnet.config
    with pytest.raises(ValueError, match="keeps its SC config"):
        load_net(export=export_npz, config=SCConfig(length=8))


def test_errors(tmp_path, checkpoint, export_npz, conv_checkpoint):
    with pytest.raises(ValueError, match="exactly one"):
        load_net()
    with pytest.raises(ValueError, match="exactly one"):
        load_net(checkpoint, export_npz)
    with pytest.raises(FileNotFoundError, match="train one: sc-neurocore train -o"):
        load_net(tmp_path / "nope.pt")
    with pytest.raises(ValueError, match="is a folder"):
        load_net(export=tmp_path)
    conv = load_net(conv_checkpoint)  # the SC model runs conv nets; the commands that reach the gateware refuse them
    assert conv.qnet.has_conv
    with pytest.raises(ValueError, match=r"holds a conv net \(1 conv layer\): .*issue 14"):
        dense_only(conv, conv_checkpoint)
    assert dense_only(load_net(checkpoint), checkpoint).qnet is not None
    assert "issue 14" in CONV_UNSUPPORTED
    with pytest.raises(ValueError, match="T must be >= 1"):
        load_net(checkpoint, T=0)
    with pytest.raises(TypeError, match="SCConfig"):
        load_net(checkpoint, config={"rng": "sobol"})


def test_describe_file(tmp_path, checkpoint, export_npz):
    torch = pytest.importorskip("torch")
    cases = {
        "empty.pt": (b"", "it is empty"),
        "text.pt": (b"hello world\n", "it is a text file starting 'hello world'"),
        "bin.pt": (bytes([0xFF, 0xFE, 0x00, 0x01]) * 4, "binary file of 16 bytes starting ff fe 00 01"),
        "arr.npy": (None, "NumPy .npy array"),
        "arrays.npz": (None, "NumPy .npz archive holding the arrays a, b"),
        "state.pt": (None, "PyTorch state_dict"),
        "list.pt": (None, "PyTorch file holding a list"),
    }
    np.save(tmp_path / "arr.npy", np.zeros(3))
    np.savez(tmp_path / "arrays.npz", a=np.zeros(1), b=np.ones(1))
    torch.save({"w": torch.zeros(2)}, tmp_path / "state.pt")
    torch.save([1, 2], tmp_path / "list.pt")
    for name, (data, text) in cases.items():
        if data is not None:
            (tmp_path / name).write_bytes(data)
        what, plausible = describe_file(tmp_path / name)
        assert text in what and not plausible, (name, what)
    assert describe_file(checkpoint) == ("it is an sc-neurocore checkpoint", True)
    what, plausible = describe_file(export_npz)
    assert "QuantizedNet export" in what and "--export" in what and not plausible
    with pytest.raises(ValueError, match="not an sc-neurocore checkpoint: it is a PyTorch state_dict"):
        load_net(tmp_path / "state.pt")
