"""Argument converters: one parallelism syntax, numbers, output paths checked (not created)."""

from __future__ import annotations

import argparse
import os

import pytest
from sc_neurocore.cli.argtypes import (
    format_parallelism,
    output_dir,
    output_file,
    parallelism,
    parse_parallelism,
    positive_float,
    positive_int,
    unit_float,
)


@pytest.mark.parametrize("text,value", [("1x16", (1, 16)), ("8X25", (8, 25)), (" 2 x 3 ", (2, 3))])
def test_parallelism(text, value):
    assert parse_parallelism(text) == value == parallelism(text)
    assert parse_parallelism(format_parallelism(value)) == value


@pytest.mark.parametrize("text", ["16", "1,16", "1x", "x16", "1x16x2", "0x4", "4x0", "-1x4", "axb", ""])
def test_parallelism_refuses_anything_else(text):
    with pytest.raises(ValueError, match="LANESxTLANES|>= 1"):
        parse_parallelism(text)
    with pytest.raises(argparse.ArgumentTypeError):
        parallelism(text)


def test_numbers():
    assert positive_int("3") == 3 and positive_float("0.5") == 0.5 and unit_float("1") == 1.0
    for func, text in ((positive_int, "0"), (positive_int, "1.5"), (positive_float, "nan"), (positive_float, "inf"),
                       (positive_float, "-2"), (unit_float, "nan"), (unit_float, "1.01"), (unit_float, "x")):
        with pytest.raises(argparse.ArgumentTypeError):
            func(text)


def test_output_paths_are_checked_not_created(tmp_path):
    assert output_file(str(tmp_path / "a.pt")) == tmp_path / "a.pt"
    with pytest.raises(argparse.ArgumentTypeError, match="does not exist"):
        output_file(str(tmp_path / "no" / "a.pt"))
    with pytest.raises(argparse.ArgumentTypeError, match="is a folder"):
        output_file(str(tmp_path))
    assert output_dir(str(tmp_path / "new" / "deeper")) == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()
    (tmp_path / "f").write_text("")
    with pytest.raises(argparse.ArgumentTypeError, match="not a folder"):
        output_dir(str(tmp_path / "f"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_output_in_a_read_only_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o555)
    with pytest.raises(argparse.ArgumentTypeError, match="permission"):
        output_file(str(ro / "x"))
