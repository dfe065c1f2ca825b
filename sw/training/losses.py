"""Losses on spike counts and membranes, and sparsity regularisers.

* ``spike_count_loss(counts, targets)``: cross-entropy with the spike counts as logits (default);
* ``membrane_loss(mem_acc, targets)``: cross-entropy with the accumulated membrane as logits;
* ``spike_rate_loss(counts, targets, T, target_rate=0.8, off_rate=0.0)``: mean squared error
  between the firing rates ``counts / T`` and ``target_rate`` for the true class, ``off_rate``
  for the others (mean over batch and classes);
* ``spike_l1_loss(spikes, weight=1.0)`` = ``weight * mean(|spikes|)``;
  ``spike_l2_loss(spikes, weight=1.0)`` = ``weight * mean(spikes**2)``.

:func:`~sc_neurocore.training.loop.train_epoch` feeds ``membrane_loss`` the membrane and
``spike_rate_loss`` the number of steps (the attributes ``uses_membrane`` / ``needs_T``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["spike_count_loss", "membrane_loss", "spike_rate_loss", "spike_l1_loss", "spike_l2_loss"]


def _check_logits(name: str, logits, targets) -> None:
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor (batch, classes), not {logits!r:.80}")
    if logits.dim() != 2:
        raise ValueError(f"{name}: expected shape (batch, classes), got {tuple(logits.shape)}")
    if not isinstance(targets, torch.Tensor) or targets.dtype != torch.long:
        raise TypeError(f"{name}: targets must be an int64 tensor of class indices, not {targets!r:.80}")
    if targets.shape != (logits.shape[0],):
        raise ValueError(f"{name}: targets have shape {tuple(targets.shape)}, expected ({logits.shape[0]},)")
    if targets.numel():
        lo, hi = torch.aminmax(targets)
        if int(lo) < 0 or int(hi) >= logits.shape[1]:
            raise ValueError(f"{name}: target classes must be in [0, {logits.shape[1]}), got {targets.tolist()[:8]}")


def spike_count_loss(counts: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy with the output spike counts ``(batch, classes)`` as logits."""
    _check_logits("spike_count_loss", counts, targets)
    return F.cross_entropy(counts, targets)


def membrane_loss(mem_acc: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy with the accumulated output membrane ``(batch, classes)`` as logits."""
    _check_logits("membrane_loss", mem_acc, targets)
    return F.cross_entropy(mem_acc, targets)


membrane_loss.uses_membrane = True


def spike_rate_loss(
    counts: torch.Tensor, targets: torch.Tensor, T: int, target_rate: float = 0.8, off_rate: float = 0.0
) -> torch.Tensor:
    """MSE between ``counts / T`` and ``target_rate`` (true class) / ``off_rate`` (others)."""
    _check_logits("spike_rate_loss", counts, targets)
    if isinstance(T, bool) or not isinstance(T, int) or T < 1:
        raise ValueError(f"spike_rate_loss: T must be a positive integer, not {T!r}")
    for name, rate in (("target_rate", target_rate), ("off_rate", off_rate)):
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
            raise ValueError(f"spike_rate_loss: {name} must be a number in [0, 1], not {rate!r}")
    target = torch.full_like(counts, float(off_rate))
    target.scatter_(1, targets[:, None], float(target_rate))
    return F.mse_loss(counts / T, target)


spike_rate_loss.needs_T = True


def _check_spikes(name: str, spikes, weight) -> None:
    if not isinstance(spikes, torch.Tensor) or not spikes.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor of spikes, not {spikes!r:.80}")
    if spikes.numel() == 0:
        raise ValueError(f"{name}: spikes are empty")
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight < 0:
        raise ValueError(f"{name}: weight must be a finite number >= 0, not {weight!r}")


def spike_l1_loss(spikes: torch.Tensor, weight: float = 1.0) -> torch.Tensor:
    """``weight * mean(|spikes|)`` over every element (any shape)."""
    _check_spikes("spike_l1_loss", spikes, weight)
    return weight * spikes.abs().mean()


def spike_l2_loss(spikes: torch.Tensor, weight: float = 1.0) -> torch.Tensor:
    """``weight * mean(spikes**2)`` over every element (any shape)."""
    _check_spikes("spike_l2_loss", spikes, weight)
    return weight * spikes.pow(2).mean()
