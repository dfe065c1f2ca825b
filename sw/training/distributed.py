"""Data-parallel training with ``torch.distributed`` (DDP), launched by ``torchrun``.

``torchrun --nproc_per_node N -m sc_neurocore.cli train --ddp ...`` starts ``N`` processes; each joins the
process group (:func:`init_distributed`: ``gloo`` on the CPU, ``nccl`` on CUDA), trains a replica of the same
net on its share of every batch (:func:`shard_loader`: a ``DistributedSampler`` over the seeded permutation,
``batch_size / N`` samples per process, so the *global* batch is the one a single process would take) and
averages the gradients in ``backward`` (``DistributedDataParallel``).  With the same seed and global batch the
final weights equal a single process's up to the order of float sums (``tests/training/test_distributed.py``
states the tolerance).  Only rank 0 logs and writes the checkpoint.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

__all__ = ["DistributedRun", "init_distributed", "shard_loader", "mean_over_ranks"]

#: What torchrun sets in each process's environment.
TORCHRUN_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class DistributedRun:
    """This process's place in the group: ``rank`` of ``world_size``, its ``device``, the ``backend``."""

    rank: int
    world_size: int
    device: torch.device
    backend: str

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that logs and writes files."""
        return self.rank == 0

    def close(self) -> None:
        """Leave the process group."""
        if torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def init_distributed(device: torch.device) -> DistributedRun:
    """Join the process group torchrun describes in the environment.

    ``device``: ``cpu`` (backend ``gloo``) or ``cuda`` (``nccl``; each process takes ``cuda:LOCAL_RANK``).
    ``ValueError`` when the environment is not torchrun's (the message gives the launch command) or the device is
    another kind.
    """
    missing = [k for k in TORCHRUN_ENV if k not in os.environ]
    if missing:
        raise ValueError("--ddp runs under torchrun, which sets " + ", ".join(missing) + ": launch with "
                         "'torchrun --nproc_per_node N -m sc_neurocore.cli train --ddp ...'")
    if not torch.distributed.is_available():
        raise ValueError("this torch build has no torch.distributed")
    device = torch.device(device)
    if device.type == "cuda":
        backend = "nccl"
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
    elif device.type == "cpu":
        backend = "gloo"
    else:
        raise ValueError(f"--ddp trains on cpu (gloo) or cuda (nccl), not on {device.type}")
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend=backend)
    return DistributedRun(torch.distributed.get_rank(), torch.distributed.get_world_size(), device, backend)


def shard_loader(dataset, run: DistributedRun, batch_size: int, seed: int, collate_fn=None):
    """``(loader, sampler)``: this rank's share of each global batch of ``batch_size`` (which ``world_size`` must
    divide).  The sampler permutes with ``seed + epoch`` (call ``sampler.set_epoch(epoch)``) and gives rank ``r``
    the permutation's entries ``r, r + N, ...``, so batch ``k`` of all ranks together is entries
    ``k * batch_size ..`` of the permutation, as a single process takes them."""
    from torch.utils.data import DataLoader
    from torch.utils.data.distributed import DistributedSampler

    if batch_size % run.world_size:
        raise ValueError(f"--batch-size {batch_size} is the global batch: it must be a multiple of the "
                         f"{run.world_size} processes")
    sampler = DistributedSampler(dataset, num_replicas=run.world_size, rank=run.rank, shuffle=True, seed=seed)
    loader = DataLoader(dataset, batch_size=batch_size // run.world_size, sampler=sampler, collate_fn=collate_fn)
    return loader, sampler


def mean_over_ranks(*values: float) -> list[float]:
    """The mean of each value over the ranks (every rank gets the same numbers)."""
    t = torch.tensor(values, dtype=torch.float64)
    torch.distributed.all_reduce(t)
    return (t / torch.distributed.get_world_size()).tolist()
