"""Output files: checked before long work starts, written atomically when it ends.

A command that runs for minutes must not lose its result at the end because the output folder
does not exist: :func:`check_output_path` is called while parsing arguments.  Results are then
written with :func:`atomic_write_bytes` / :func:`atomic_write_text` or :func:`atomic_output`
(a temporary file in the same folder, renamed over the target only when it is complete), so a
killed writer never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["OutputPathError", "atomic_output", "atomic_write_bytes", "atomic_write_text", "check_output_path"]


class OutputPathError(ValueError):
    """An output path that cannot be written (the message names the path and the reason)."""


def check_output_path(path, *, what: str = "output file", directory: bool = False) -> Path:
    """``path`` as a ``Path`` if it can be written; otherwise :class:`OutputPathError`.

    A file's folder must exist and be writable and the path must not be a folder; a
    ``directory`` may exist (as a folder) or be creatable: its nearest existing ancestor must be
    a writable folder.  Nothing is created.
    """
    p = Path(path).expanduser()
    if directory:
        if p.exists() and not p.is_dir():
            raise OutputPathError(f"{what} {p} exists and is not a folder")
        probe = p
        while not probe.exists():
            probe = probe.parent
        if not probe.is_dir():
            raise OutputPathError(f"{what} {p}: {probe} is not a folder")
        if not os.access(probe, os.W_OK | os.X_OK):
            raise OutputPathError(f"{what} {p}: no permission to write in {probe}")
        return p
    if p.is_dir():
        raise OutputPathError(f"{what} {p} is a folder; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise OutputPathError(f"{what} {p}: folder {parent} does not exist (create it first)")
    if not parent.is_dir():
        raise OutputPathError(f"{what} {p}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputPathError(f"{what} {p}: no permission to write in {parent}")
    return p


@contextlib.contextmanager
def atomic_output(path, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path``, on error it is removed.

    ``suffix`` is the temporary file's ending (default: ``path``'s own, so that writers that pick a
    format from the name, such as ``numpy.savez`` or ``torch.save``, see the right one).
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix if suffix is None else suffix,
                               dir=target.parent if str(target.parent) else ".")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file private (0600); give it the mode a plain open() would have
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return ``path``."""
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; return ``path``."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def read_npz(path, parse, what: str):
    """``parse(data, path)`` of the ``.npz`` at ``path``; anything wrong with the file (damaged, not a zip, a
    ``ValueError`` of ``parse`` that does not name it) raises ``ValueError`` naming ``path`` and ``what`` it should
    be; a missing file ``FileNotFoundError``."""
    import numpy as np

    path = Path(path)
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:  # np.load leaks its own handle
            return parse(data, path)  # when the zip is damaged
    except (FileNotFoundError, IsADirectoryError):
        raise
    except ValueError as exc:
        if str(exc).startswith(f"{path}:"):
            raise
        raise ValueError(f"{path}: not a readable {what} ({exc})") from exc
    except Exception as exc:  # noqa: BLE001 - zipfile, zlib, json and NumPy raise many kinds for a damaged file
        raise ValueError(f"{path}: not a readable {what} ({type(exc).__name__}: {exc})") from exc
