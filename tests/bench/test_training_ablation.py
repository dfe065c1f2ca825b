"""The accuracy ablation (``bench/bench_training_ablation.py``): each variant changes what it says, and only that;
the report's paired differences and counts come from the raw runs."""

from __future__ import annotations

import math

import bench_training_ablation as ab
import numpy as np
import peers
import pytest

torch = pytest.importorskip("torch", exc_type=ImportError)

SPEC = peers.NetSpec(n_in=12, hidden=(9, 7), n_out=4)


def _skip_unless_ours():
    reason = peers.Ours().status()
    if reason is not None:
        pytest.skip(f"sc-neurocore: {reason}")


def test_the_spike_functions_differ_only_at_a_tie_and_count_it():
    from sc_neurocore.training import atan_surrogate

    _skip_unless_ours()
    ties = [0]
    x = torch.tensor([-0.5, 0.0, 1e-7, 0.0, 2.0], requires_grad=True)
    gt, ge = ab._spike_fn(False, ties), ab._spike_fn(True, ties)
    assert gt(x).tolist() == [0, 0, 1, 0, 1] and ge(x).tolist() == [0, 1, 1, 1, 1]
    assert ties[0] == 4  # two ties in each call
    ge(x).sum().backward()
    expected = atan_surrogate.grad(x.detach())
    assert torch.equal(x.grad, expected) and math.isclose(float(expected[1]), 1.0)  # peak alpha / 2 at the tie


def test_each_variant_builds_what_it_names():
    from sc_neurocore.training import Surrogate

    _skip_unless_ours()

    def built(key):
        torch.manual_seed(0)
        return ab.build(ab.VARIANTS[key], SPEC, [0])

    base = built("base")
    assert base.sizes == SPEC.sizes and all(isinstance(lif.surrogate_fn, Surrogate) for lif in base.lifs)
    torch.manual_seed(0)
    first = torch.nn.Linear(12, 9)  # base: torch's own Linear init, drawn in order
    assert torch.equal(base.fcs[0].weight, first.weight)
    for key in ("init-xavier", "init-kaiming"):
        net = built(key)
        assert not torch.equal(net.fcs[0].weight, base.fcs[0].weight)
        assert torch.equal(net.fcs[0].bias, base.fcs[0].bias)  # biases kept
    assert built("alpha-4").lifs[0].surrogate_fn.params["alpha"] == 4.0
    for key in ("loop-gt", "tie-ge"):
        assert not isinstance(built(key).lifs[0].surrogate_fn, Surrogate)  # the step loop, not the fused kernel
    names = {n for n, _ in built("learn-beta-theta").named_parameters()}
    assert {n for n, _ in base.named_parameters()} < names and any("beta" in n for n in names)


def test_no_shortcut_runs_the_first_layer_over_all_steps_with_the_same_result():
    """One batch through both loops: the same counts forward; one Adam step leaves nearly the same weights (the
    gradient's sums are ordered differently, so not bit for bit)."""
    from sc_neurocore.training import train_epoch

    _skip_unless_ours()
    x = torch.rand(16, 12)
    y = torch.randint(0, 4, (16,))
    loader = [(x, y)]
    nets = []
    for shortcut in (True, False):
        torch.manual_seed(1)
        net = ab.build(ab.VARIANTS["base"], SPEC, [0])
        with torch.no_grad():
            for fc in net.fcs:
                fc.weight.mul_(3.0)  # enough drive that the net spikes: a non-zero gradient
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        if shortcut:
            train_epoch(net, loader, opt, 6, loss_fn=torch.nn.functional.cross_entropy, progress=False)
        else:
            ab._epoch_without_shortcut(net, loader, opt, 6, torch.nn.functional.cross_entropy)
        nets.append(net)
    torch.manual_seed(1)
    start = ab.build(ab.VARIANTS["base"], SPEC, [0]).fcs[0].weight.detach() * 3.0
    assert float((nets[0].fcs[0].weight.detach() - start).abs().max()) > 1e-3  # the step moved the weights
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-5)


def _data() -> dict:
    run = lambda acc, dig, ties=None: dict(acc=acc, seconds=10.0, ties=ties, digest=dig, betas=[0.9], thetas=[1.0])  # noqa: E731
    rows = {
        "base": [run(94.0, "a"), run(93.0, "b"), run(95.0, "c")],
        "alpha-4": [run(93.5, "x"), run(93.5, "y"), run(94.0, "z")],
        "loop-gt": [run(94.1, "p", 0), run(92.8, "q", 0), run(95.0, "r", 0)],
        "tie-ge": [run(94.1, "p", 0), run(92.8, "q", 1), run(95.2, "s", 2)],
    }
    cli = {"default threads": [dict(acc=a, threads=2, wall=9.0, digest=d, command="sc-neurocore train --seed 0 -o "
                                     "net.pt") for a, d in ((93.0, "m"), (93.6, "n"), (93.2, "o"))],
           "1 thread": [dict(acc=a, threads=1, wall=9.0, digest=d, command="sc-neurocore train --seed 0 -o net.pt")
                        for a, d in ((94.0, "a"), (93.0, "b"), (95.0, "c"))]}  # fmt: skip
    return dict(schema=ab.SCHEMA, when="today", revision="abc", machine=dict(cpu="cpu", cores="2"), torch="2",
                settings=dict(dataset="mnist5k", seeds=3, epochs=10, T=25, threads=1, sizes=[784, 128, 128, 10]),
                rows={k: dict(variant=vars(ab.VARIANTS[k]), runs=v) for k, v in rows.items()}, cli=cli,
                seconds=120.0, command="python bench/bench_training_ablation.py")  # fmt: skip


def test_report_paired_differences_and_same_weights_from_the_runs():
    data = _data()
    text = ab.render(data)
    base = [94.0, 93.0, 95.0]

    def line(label):
        return next(ln for ln in text.splitlines() if ln.startswith(f"| {label} |"))

    d = np.array([93.5, 93.5, 94.0]) - base
    half = 4.302653 * np.std(d, ddof=1) / np.sqrt(3)  # Student t, 2 degrees of freedom, 97.5 %
    assert (f"| {np.mean(d):+.2f} ± {np.std(d, ddof=1):.2f} [{np.mean(d) - half:+.2f}, {np.mean(d) + half:+.2f}] | 0/3 |"
            in line(ab.VARIANTS["alpha-4"].label))  # fmt: skip
    assert f"| {np.mean([93.5, 93.5, 94.0]):.2f} ± {np.std([93.5, 93.5, 94.0], ddof=1):.2f} |" in line(
        ab.VARIANTS["alpha-4"].label
    )
    # against its control, the step loop with ">": differences 0, 0, 0.2; ties summed over the seeds
    assert "| +0.07 ± 0.12 [-0.22, +0.35] | 2/3 (vs loop-gt) | 3 |" in line(ab.VARIANTS["tie-ge"].label)
    assert "| 0/3 | 0 |" in line(ab.VARIANTS["loop-gt"].label)
    assert "| `sc-neurocore train`, 1 thread (1) | 94.00 ± 1.00 | 94.0 / 93.0 / 95.0 | +0.00 ± 0.00 [+0.00, +0.00] | 3/3 |" in text
    assert "default threads (2) | 93.27 ± 0.31 |" in text and "--seed k" in text
    assert "(mnist5k, 784-128-128-10)" in text.splitlines()[0]


def test_quick_and_unknown_variants():
    args = ab.parse_args(["--quick"])
    assert (args.seeds, args.epochs, args.variants, args.cli) == (2, 1, ["base", "loop-gt", "tie-ge"], False)
    with pytest.raises(SystemExit):
        ab.parse_args(["--variants", "base,dropout"])
