"""Where sc-neurocore keeps files that are not the user's outputs: build caches.

One function, :func:`cache_dir`, names the folder:

* ``$SC_NEUROCORE_CACHE`` when set (tests and CI point it at a temporary folder);
* else ``$XDG_CACHE_HOME/sc_neurocore``;
* else ``~/.cache/sc_neurocore``.

Parts below it (``sim`` for simulator builds, ``nets`` for trained reference nets, ``boards`` for
place-and-route runs) are created on demand; ``sc-neurocore clean`` removes them.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV", "cache_dir"]

#: Environment variable that overrides the cache folder.
CACHE_ENV = "SC_NEUROCORE_CACHE"


def cache_dir(*parts: str, create: bool = False) -> Path:
    """The cache folder (or ``parts`` below it); ``create=True`` makes it (and its parents)."""
    root = os.environ.get(CACHE_ENV, "").strip()
    if root:
        base = Path(root).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        base = (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "sc_neurocore"
    path = base.joinpath(*parts)
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path
