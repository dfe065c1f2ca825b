"""Training and evaluation loops, and device choice (:func:`auto_device`, :func:`resolve_device`).

``train_epoch`` / ``evaluate`` take batches ``(x, y)`` from any iterable of pairs:

* ``x`` of shape ``(batch, features)`` (or images ``(batch, C, H, W)``) is the same input at each
  of the ``T`` steps; it is passed as ``x.expand(T, ...)`` without a copy, so the model computes
  its first layer once;
* ``x`` of shape ``(T, batch, features)`` (or ``(T, batch, C, H, W)``) is already encoded over time
  (``rate_encode`` and friends); its first axis must equal ``T``.

The rule is the number of axes: 2 or 4 is static, 3 or 5 is pre-encoded.  With ``flatten_input=True``
(the default, as in the published API) image batches are flattened to features first: ``(batch, C, H, W)``
becomes ``(batch, C*H*W)`` and ``(T, batch, C, H, W)`` becomes ``(T, batch, C*H*W)`` (a ``ConvSpikingNet``
takes either form).

The keywords of the published API are accepted: ``train_epoch(model, loader, optimizer,
n_timesteps=25, loss_fn=..., device=..., max_grad_norm=None, flatten_input=True)`` and
``evaluate(model, loader, n_timesteps=25, flatten_input=True)``; the seed's positional ``T``
(``train_epoch(model, loader, optimizer, T, device=device)``) keeps working, and so does a loss
function given fifth, where the published API has it.

A ``DataLoader`` over a ``TensorDataset`` (single process, default collate) is read by gathering
each batch with one index operation over the loader's own batch sampler: the same batches in the
same order as iterating the loader, without its per-sample Python work.

``loss_fn(spike_counts, targets)`` by default; a loss tagged ``uses_membrane`` (``membrane_loss``)
gets the accumulated membrane instead, one tagged ``needs_T`` (``spike_rate_loss``) gets ``T=T``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

import torch

from .losses import spike_count_loss
from .native import reuse_freed_memory

__all__ = ["train_epoch", "evaluate", "auto_device", "resolve_device"]


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def auto_device() -> torch.device:
    """``cuda`` if available, else ``mps`` if available, else ``cpu``."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def resolve_device(name: str | torch.device | None = None) -> torch.device:
    """The device called ``name`` (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``); ``None`` or ``"auto"``: :func:`auto_device`.

    Raises ``ValueError`` with what to do instead when the name is not a device, or when this
    torch cannot use it (``"cuda"`` on a CPU-only build or without a GPU, a missing GPU index,
    ``"mps"`` off Apple silicon, a device type other than cpu, cuda and mps) -- before any work,
    not at the first tensor moved.
    """
    if name is None or name == "auto":
        return auto_device()
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"{name!r} is not a torch device; use cpu, cuda, cuda:N, mps or auto") from None
    if device.type == "cuda":
        if torch.version.cuda is None or not torch.cuda.is_available():
            cpu_only = torch.version.cuda is None
            build = "a CPU-only build" if cpu_only else f"built for CUDA {torch.version.cuda}"
            instead = "use cpu, or install a CUDA build of torch" if cpu_only else "use cpu"
            raise ValueError(f"device {name!r}: this torch ({torch.__version__}, {build}) sees no CUDA GPU "
                             f"(torch.cuda.is_available() is False); {instead}")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f"device {name!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s), "
                             f"numbered from 0")
    elif device.type == "mps" and not _mps_available():
        raise ValueError(f"device {name!r}: MPS (Apple silicon) is not available here; use cpu")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device {name!r}: sc-neurocore trains on cpu, cuda or mps, not {device.type}")
    return device


def _batches(loader: Iterable):
    """Batches of ``loader``; a plain TensorDataset DataLoader without per-sample collation."""
    from torch.utils.data import DataLoader, TensorDataset
    from torch.utils.data._utils.collate import default_collate

    if (
        isinstance(loader, DataLoader)
        and type(loader.dataset) is TensorDataset
        and loader.num_workers == 0
        and loader.collate_fn is default_collate
        and loader.batch_sampler is not None
    ):
        # What DataLoader's iterator draws from the RNG on creation, so seeded runs match it.
        torch.empty((), dtype=torch.int64).random_(generator=loader.generator)
        tensors = loader.dataset.tensors
        for indices in loader.batch_sampler:
            index = torch.as_tensor(indices, dtype=torch.long)
            yield tuple(t[index] for t in tensors)
        return
    yield from loader


def _prepare(x, y, T: int, device, flatten: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(f"batches must be (tensor, tensor) pairs, not ({type(x).__name__}, {type(y).__name__})")
    if device is not None:
        x = x.to(device, non_blocking=True)
        y = y.to(device, non_blocking=True)
    if not x.is_floating_point():
        x = x.float()
    if flatten and x.dim() in (4, 5):
        x = x.flatten(x.dim() - 3)
    if x.dim() in (2, 4):
        x = x.unsqueeze(0).expand(T, *x.shape)
    elif x.dim() in (3, 5):
        if x.shape[0] != T:
            raise ValueError(f"a pre-encoded batch must have T={T} steps first, got shape {tuple(x.shape)}")
    else:
        raise ValueError(f"batch inputs must be (batch, features) or (T, batch, features), got {tuple(x.shape)}")
    if x.shape[1] != y.shape[0]:
        raise ValueError(f"batch of {x.shape[1]} inputs has {y.shape[0]} labels")
    return x, y.long()


def _loss(loss_fn: Callable, counts, mem, y, T: int) -> torch.Tensor:
    out = mem if getattr(loss_fn, "uses_membrane", False) else counts
    if getattr(loss_fn, "needs_T", False):
        return loss_fn(out, y, T=T)
    return loss_fn(out, y)


#: Timesteps when neither ``T`` nor ``n_timesteps`` is given (the published API's default).
DEFAULT_TIMESTEPS = 25


def _check_T(T) -> int:
    if isinstance(T, bool) or not isinstance(T, int) or T < 1:
        raise ValueError(f"T must be a positive integer, not {T!r}")
    return T


def _timesteps(T, n_timesteps) -> int:
    """``T`` (positional, the seed's name) or ``n_timesteps`` (the published API's keyword): one of them, or both equal."""
    if T is not None and n_timesteps is not None and T != n_timesteps:
        raise ValueError(f"T={T!r} and n_timesteps={n_timesteps!r} disagree; give one of them")
    given = T if T is not None else n_timesteps
    return _check_T(DEFAULT_TIMESTEPS if given is None else given)


def _device_and_loss(device, loss_fn):
    """The published API has ``loss_fn`` fifth where the seed has ``device``: a callable there is the loss."""
    if callable(device) and not isinstance(device, (str, torch.device)):
        if loss_fn is not spike_count_loss:
            raise TypeError("a loss function was given both in the device position and as loss_fn")
        return None, device
    return device, loss_fn


def _check_flag(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, not {value!r}")
    return value


def _progress(iterable, enabled, desc: str, total):
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False)


def _length(loader):
    try:
        return len(loader)
    except TypeError:
        return None


def train_epoch(
    model: torch.nn.Module,
    loader: Iterable,
    optimizer: torch.optim.Optimizer,
    T: int | None = None,
    device=None,
    loss_fn: Callable = spike_count_loss,
    progress: bool | None = None,
    *,
    n_timesteps: int | None = None,
    max_grad_norm: float | None = None,
    flatten_input: bool = True,
) -> tuple[float, float]:
    """One pass over ``loader``: ``(mean loss per sample, accuracy)``.

    ``T`` or ``n_timesteps``: timesteps per sample (default 25).  ``max_grad_norm``: clip the
    gradients' total norm to it before each step (``torch.nn.utils.clip_grad_norm_``).
    ``flatten_input``: image batches flattened to features (see the module docstring).
    ``progress``: a tqdm bar; ``None`` shows it only when stderr is a terminal.
    """
    T = _timesteps(T, n_timesteps)
    device, loss_fn = _device_and_loss(device, loss_fn)
    flatten = _check_flag("flatten_input", flatten_input)
    if max_grad_norm is not None:
        if isinstance(max_grad_norm, bool) or not isinstance(max_grad_norm, (int, float)) or not max_grad_norm > 0:
            raise ValueError(f"max_grad_norm must be None or a number > 0, not {max_grad_norm!r}")
    reuse_freed_memory()  # big (T, batch, ...) tensors: no fresh pages each batch (glibc; see its docstring)
    model.train()
    total_loss = correct = seen = 0  # loss and hits stay tensors on the device until the end
    for x, y in _progress(_batches(loader), progress, "train", _length(loader)):
        x, y = _prepare(x, y, T, device, flatten)
        counts, mem = model(x)
        loss = _loss(loss_fn, counts, mem, y, T)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), float(max_grad_norm))
        optimizer.step()
        n = y.shape[0]
        total_loss = loss.detach() * n + total_loss
        correct = (counts.argmax(1) == y).sum() + correct
        seen += n
    if seen == 0:
        raise ValueError("the loader yielded no batches")
    return float(total_loss) / seen, int(correct) / seen


@torch.no_grad()
def evaluate(
    model: torch.nn.Module,
    loader: Iterable,
    T: int | None = None,
    device=None,
    loss_fn: Callable = spike_count_loss,
    progress: bool | None = False,
    *,
    n_timesteps: int | None = None,
    flatten_input: bool = True,
) -> tuple[float, float]:
    """Loss and accuracy of ``model`` over ``loader`` (no gradients): ``(mean loss, accuracy)``.

    ``T`` or ``n_timesteps`` (default 25) and ``flatten_input`` as for :func:`train_epoch`.
    """
    T = _timesteps(T, n_timesteps)
    device, loss_fn = _device_and_loss(device, loss_fn)
    flatten = _check_flag("flatten_input", flatten_input)
    reuse_freed_memory()
    model.eval()
    total_loss = 0.0
    correct = 0
    seen = 0
    for x, y in _progress(_batches(loader), progress, "eval", _length(loader)):
        x, y = _prepare(x, y, T, device, flatten)
        counts, mem = model(x)
        n = y.shape[0]
        total_loss += float(_loss(loss_fn, counts, mem, y, T)) * n
        correct += int((counts.argmax(1) == y).sum())
        seen += n
    if seen == 0:
        raise ValueError("the loader yielded no batches")
    return total_loss / seen, correct / seen
