"""The whole chain on one set of images: float ~ fixed ~ SC == RTL, as table rows.

:func:`verify_chain` is what ``sc-neurocore verify``, ``sc-neurocore demo`` and the
regression call: it quantises the net (unless given a ``QuantizedNet``), runs the float
model (when there is one), the fixed-point and SC NumPy models, and the RTL network core on
each simulator asked for, comparing every RTL integer with the SC model's.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from ..export import QuantizedNet
from ..sc.contract import SCConfig, quantize_probability
from ..sc.network import FixedPointNetwork
from .vectors import make_vectors

__all__ = ["ChainRow", "ChainReport", "verify_chain", "load_net", "format_table"]


@dataclass
class ChainRow:
    """One simulator's run of the chain."""

    simulator: str
    images: int
    cycles: int
    mismatches: int
    float_acc: float | None
    fixed_acc: float
    sc_acc: float
    rtl_acc: float | None
    cycles_per_s: float
    wall_s: float
    build_s: float = 0.0
    first_mismatch: str | None = None
    compared: int = 0
    what: str = "trained net"

    def cells(self) -> list[str]:
        pct = lambda v: "-" if v is None or v != v else f"{100 * v:.2f} %"  # noqa: E731
        return [self.what, self.simulator, str(self.images), f"{self.cycles:,}", f"{self.compared:,}",
                str(self.mismatches), pct(self.float_acc), pct(self.fixed_acc), pct(self.sc_acc), pct(self.rtl_acc),
                f"{self.cycles_per_s:,.0f}", f"{self.wall_s:.1f} s"]


HEADER = ["net", "simulator", "images", "cycles", "integers compared", "mismatches", "float", "fixed", "SC",
          "RTL", "cycles/s", "wall time"]


def format_table(rows: list[ChainRow]) -> str:
    """A Markdown table of rows (also readable as plain text)."""
    cells = [HEADER] + [r.cells() for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
    lines = ["| " + " | ".join(c[i].ljust(widths[i]) for i in range(len(HEADER))) + " |" for c in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


@dataclass
class ChainReport:
    """Rows of :func:`verify_chain`, one per simulator, and the settings that made them."""

    rows: list[ChainRow]
    T: int
    config: SCConfig
    sizes: tuple
    agreement: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.mismatches == 0 for r in self.rows)

    def table(self) -> str:
        c = self.config
        head = (f"net {'-'.join(map(str, self.sizes))}, T={self.T}, L={c.length}, rng={c.rng}, k={c.prob_bits}, "
                f"seed={c.seed}")
        text = head + "\n" + format_table(self.rows)
        for r in self.rows:
            if r.first_mismatch:
                text += f"\n{r.simulator}: first mismatch: {r.first_mismatch}"
        return text

    def as_dict(self) -> dict:
        return {"rows": [asdict(r) for r in self.rows], "T": self.T, "sizes": list(self.sizes),
                "config": asdict(self.config), "ok": self.ok, "agreement": self.agreement}


def load_net(checkpoint=None, export=None, config: SCConfig | None = None):
    """``(qnet, model_or_None, meta)`` from a torch checkpoint or a saved ``QuantizedNet`` (``--export``)."""
    if (checkpoint is None) == (export is None):
        raise ValueError("give exactly one of a checkpoint (--checkpoint) or a saved export (--export)")
    if export is not None:
        qnet = QuantizedNet.load(export)
        if config is not None and config != qnet.config:
            raise ValueError(f"{export} was exported for {qnet.config}; it cannot be re-quantised for {config} "
                             "(use --checkpoint)")
        return qnet, None, {"export": str(export)}
    try:
        from ..training.checkpoint import load_checkpoint
    except ImportError as exc:  # torch missing
        raise ImportError(f"loading a checkpoint needs torch ({exc}); pass a saved export with --export instead") from exc
    model, meta = load_checkpoint(checkpoint)
    return model.to_quantized(config or SCConfig()), model, dict(meta)


def float_predictions(model, x, T: int) -> np.ndarray:
    """The float SpikingNet's predictions for constant-current inputs ``x`` repeated over T."""
    import torch

    with torch.no_grad():
        xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
        counts, _ = model(xt.unsqueeze(0).expand(T, -1, -1))
    return counts.argmax(1).cpu().numpy().astype(np.int64)


def verify_chain(model_or_qnet, x, y=None, *, T: int = 25, sim="verilator", limit: int | None = None,
                 model=None, config: SCConfig | None = None, parallelism=None, trace: bool = True,
                 batch: int = 32, what: str = "trained net", progress=None, float_pred=None) -> ChainReport:
    """Run float / fixed / SC / RTL on the first ``limit`` images of ``x`` (probabilities in [0, 1]).

    ``model_or_qnet``: a trained SpikingNet (quantised with ``config``) or a ``QuantizedNet``;
    ``model``: the float model when the first argument is already a ``QuantizedNet``;
    ``float_pred``: the float model's predictions for ``x`` computed by the caller (instead of ``model``).
    ``sim``: ``"verilator"``, ``"icarus"``, ``"both"``, a list of them, or ``"none"`` (models only).
    Returns a :class:`ChainReport` whose rows give, per simulator, the images, cycles, integers
    compared and mismatches, the float / fixed / SC / RTL accuracies and cycles per second.
    """
    from .tb_network import DEFAULT_PARALLELISM, run_network

    if isinstance(model_or_qnet, QuantizedNet):
        qnet = model_or_qnet
        if config is not None and config != qnet.config:
            raise ValueError("config differs from the QuantizedNet's own; quantise the float model instead")
    else:
        model = model_or_qnet if model is None else model
        qnet = model_or_qnet.to_quantized(config or SCConfig())
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[None]
    n = len(x) if limit is None else min(int(limit), len(x))
    x = x[:n]
    y = None if y is None else np.asarray(y, dtype=np.int64)[:n]
    codes = quantize_probability(x, qnet.config.prob_bits)
    vec = make_vectors(qnet, codes, T, labels=y, what=what)
    acc = (lambda p: None if y is None or n == 0 else float(np.mean(p == y)))  # noqa: E731
    sc_pred = vec.expected.prediction
    fx_pred = FixedPointNetwork.from_quantized(qnet).run_codes(codes, T, trace=False).prediction
    if float_pred is not None:
        fl_pred = np.asarray(float_pred, dtype=np.int64)[:n]
    else:
        fl_pred = float_predictions(model, x, T) if model is not None else None
    agreement = {"fixed_vs_float": None if fl_pred is None else float(np.mean(fx_pred == fl_pred)),
                 "sc_vs_float": None if fl_pred is None else float(np.mean(sc_pred == fl_pred))}
    sims = _sims(sim)
    rows = []
    par = DEFAULT_PARALLELISM if parallelism is None else parallelism
    for s in sims:
        if progress:
            progress(f"{s}: {n} images through the RTL ...")
        t0 = time.perf_counter()
        rep = run_network(vec, sim=s, parallelism=par, trace=trace, batch=batch, check=False)
        wall = time.perf_counter() - t0
        sb = rep.get("scoreboard", {})
        rtl_pred = np.asarray(rep.get("rtl_prediction", []), dtype=np.int64)
        mism = int(sb.get("mismatches", 0)) + (0 if rep.get("passed") and len(rtl_pred) == n else 1)
        first = sb.get("first") or (None if rep.get("passed") else (rep.get("log_tail") or "simulation failed")[-1500:])
        rows.append(ChainRow(
            simulator=s, images=int(len(rtl_pred)), cycles=int(rep.get("cycles", 0)), mismatches=mism,
            float_acc=acc(fl_pred) if fl_pred is not None else None, fixed_acc=acc(fx_pred), sc_acc=acc(sc_pred),
            rtl_acc=(float(np.mean(rtl_pred == y)) if y is not None and len(rtl_pred) == n and n else None),
            cycles_per_s=float(rep.get("cycles_per_s", 0.0)), wall_s=wall, build_s=float(rep.get("build_s", 0.0)),
            first_mismatch=first, compared=int(sb.get("compared", 0)), what=what,
        ))
    if not sims:
        rows.append(ChainRow("none", n, 0, 0, acc(fl_pred) if fl_pred is not None else None, acc(fx_pred),
                             acc(sc_pred), None, 0.0, 0.0, what=what))
    return ChainReport(rows, T, qnet.config, tuple(qnet.sizes), agreement)


def _sims(sim) -> list[str]:
    from .runner import SIMULATORS

    if sim in (None, "none"):
        return []
    if sim == "both":
        return list(SIMULATORS)
    sims = [sim] if isinstance(sim, str) else list(sim)
    for s in sims:
        if s not in SIMULATORS:
            raise ValueError(f"simulator must be one of {SIMULATORS}, 'both' or 'none', not {s!r}")
    return sims
