"""The training benchmark on the 28x28 set: ``bench_training.py --dataset mnist5k --no-infer`` (accuracy, s/epoch).

Here so that ``bench/run_all.py`` (which runs every ``bench_<name>.py``) runs it too; options are passed on
(``--quick``, ``--render-only``, ``--seeds N``, ...).  Writes ``docs/bench/training_mnist5k.{md,json}``; the
report names the equivalent ``bench_training.py`` command::

    python bench/bench_training_mnist5k.py      # = python bench/bench_training.py --dataset mnist5k --no-infer
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_training  # noqa: E402

ARGS = ["--dataset", "mnist5k", "--no-infer"]


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    return bench_training.main(ARGS + argv)


if __name__ == "__main__":
    sys.exit(main())
