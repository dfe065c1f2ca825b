"""``sc_neurocore.cli.main``: the one exit-code mapping, --debug, --version, help of every command."""

from __future__ import annotations

import argparse

import pytest
from sc_neurocore.cli import COMMANDS, build_parser, report_error
from sc_neurocore.errors import CheckFailed, MissingTool


def _subparsers():
    parser = build_parser()
    return parser, parser.subcommands


def test_every_command_has_a_description_and_an_example():
    _, subs = _subparsers()
    present = {name.replace("_", "-") for name in COMMANDS} & set(subs)
    assert present >= {"demo", "train", "sc-eval", "export", "export-verilog", "export-vectors", "verify", "build",
                       "infer", "clean"}
    for name, p in subs.items():
        assert p.description and len(p.description) > 40, name
        assert p.epilog and "sc-neurocore " + name in p.epilog and "example" in p.epilog, name
        assert isinstance(p.formatter_class, type) and issubclass(p.formatter_class,
                                                                 argparse.RawDescriptionHelpFormatter)


def test_version(cli):
    r = cli("--version")
    assert r.code == 0 and r.out.startswith("sc-neurocore ") and r.out.split()[1][0].isdigit()


def test_surrogate_help_lists_the_choices(cli):
    from sc_neurocore.training.surrogates import SURROGATES

    r = cli("train", "--help")
    assert r.code == 0
    flat = " ".join(r.out.split())
    assert all(name in flat for name in SURROGATES)


def test_help_shows_the_contract_defaults(cli):
    from sc_neurocore.sc.contract import SCConfig

    r = cli("verify", "--help")
    flat = " ".join(r.out.split())
    assert f"random source (default: {SCConfig().rng}" in flat and f"(default: {SCConfig().length};" in flat


def _raising(exc):
    def func(args):
        raise exc

    return func


@pytest.mark.parametrize("exc,code,text", [
    (CheckFailed("2 mismatches"), 1, "2 mismatches"),
    (ValueError("bad value"), 2, "bad value"),
    (TypeError("bad type"), 2, "bad type"),
    (FileNotFoundError("no such file x"), 2, "no such file x"),
    (MissingTool("iverilog is missing", "apt-get install iverilog"), 3, "install it with: apt-get install iverilog"),
    (ModuleNotFoundError("No module named 'cocotb'", name="cocotb"), 3, "pip install 'sc-neurocore[sim]'"),
    (ModuleNotFoundError("No module named 'sc_neurocore.nothing'", name="sc_neurocore.nothing"), 70,
     "internal error"),
    (RuntimeError("boom"), 70, "internal error: RuntimeError: boom (a bug in sc-neurocore: run with --debug"),
    (KeyError("k"), 70, "internal error: KeyError"),
])
def test_one_mapping_of_errors_to_exit_codes(exc, code, text, capsys):
    assert report_error("verify", exc) == code
    err = capsys.readouterr().err
    assert err.startswith("sc-neurocore verify: ") and text in err and "Traceback" not in err
    assert err.count("\n") == 1  # one line


def test_debug_shows_the_traceback(cli, monkeypatch, export_npz):
    import sc_neurocore.cli.verify as verify

    monkeypatch.setattr(verify, "run", _raising(RuntimeError("boom")))
    r = cli("verify", "--export", export_npz)
    assert r.code == 70 and "Traceback" not in r.err and "internal error: RuntimeError: boom" in r.err
    for argv in (("--debug", "verify", "--export", export_npz), ("verify", "--debug", "--export", export_npz)):
        r = cli(*argv)
        assert r.code == 70 and "Traceback (most recent call last)" in r.err and "RuntimeError: boom" in r.err


def test_interrupt(cli, monkeypatch, export_npz):
    import sc_neurocore.cli.verify as verify

    monkeypatch.setattr(verify, "run", _raising(KeyboardInterrupt()))
    r = cli("verify", "--export", export_npz)
    assert r.code == 130 and r.err == "sc-neurocore verify: interrupted\n"


def test_dir_of_the_lazy_sc_package_shows_the_networks():
    import sc_neurocore.sc as sc

    names = dir(sc)
    assert {"SCNetwork", "FixedPointNetwork", "SCTrace", "SCConfig"} <= set(names)
    assert sc.SCNetwork.__name__ == "SCNetwork"
