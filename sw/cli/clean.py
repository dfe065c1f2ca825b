"""``sc-neurocore clean``: remove the cache folder (simulator builds, cached reference nets).

The folder is :func:`sc_neurocore.paths.cache_dir`: ``$SC_NEUROCORE_CACHE``, else
``$XDG_CACHE_HOME/sc_neurocore``, else ``~/.cache/sc_neurocore``.  Board builds are not in it
(they stay in ``build/boards/BOARD`` or the ``-o`` folder given to ``build``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

EXAMPLES = """\
examples:
  sc-neurocore clean --dry-run     # what would be removed, and how much
  sc-neurocore clean
"""


def register(sub) -> None:
    p = sub.add_parser(
        "clean",
        help="remove the cache (simulator builds, cached nets) and say how much it held",
        description="Remove sc-neurocore's cache folder ($SC_NEUROCORE_CACHE, else $XDG_CACHE_HOME/sc_neurocore, "
        "else ~/.cache/sc_neurocore): compiled simulators and cached reference nets. It is rebuilt on demand.",
        epilog=EXAMPLES,
    )
    p.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    p.set_defaults(func=run)


def folder_size(path: Path) -> tuple[int, int]:
    """``(bytes, files)`` below ``path`` (links are not followed)."""
    total = files = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
                files += 1
            except OSError:
                pass
    return total, files


def human(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} GB"  # pragma: no cover


def refuse_reason(path: Path) -> str | None:
    """Why ``path`` must not be removed wholesale (a mis-set ``$SC_NEUROCORE_CACHE``), else ``None``."""
    p = path.resolve()
    home = Path.home().resolve()
    cwd = Path.cwd().resolve()
    if p == Path(p.anchor):
        return "it is the filesystem root"
    if p == home or p in home.parents:
        return "it is your home folder or above it"
    if p == cwd or p in cwd.parents:
        return "it is the current folder or above it"
    if (p / ".git").exists() or (p / "pyproject.toml").exists():
        return "it looks like a project folder (it holds .git or pyproject.toml)"
    return None


def run(args) -> int:
    from ..paths import CACHE_ENV, cache_dir

    root = cache_dir()
    if not root.exists():
        print(f"nothing to clean: {root} does not exist")
        return 0
    if not root.is_dir():
        raise ValueError(f"the cache path {root} is not a folder (check ${CACHE_ENV})")
    why = refuse_reason(root)
    if why:
        raise ValueError(f"refusing to remove {root}: {why}; set ${CACHE_ENV} to a folder of its own")
    parts = sorted(root.iterdir())
    sizes = {p: folder_size(p) if p.is_dir() else (p.lstat().st_size, 1) for p in parts}
    total = sum(b for b, _ in sizes.values())
    files = sum(f for _, f in sizes.values())
    verb = "would remove" if args.dry_run else "removing"
    print(f"{verb} {root}: {human(total)} in {files:,} files")
    for p in parts:
        b, f = sizes[p]
        print(f"  {p.name + ('/' if p.is_dir() else ''):20s} {human(b):>12s}  ({f:,} files)")
    if args.dry_run:
        return 0
    shutil.rmtree(root)
    print(f"removed {root} ({human(total)})")
    return 0
