"""bench/bench_neurons.py renders its tables from the saved data alone and rewrites only the marked block of a page."""

from __future__ import annotations

import bench_neurons


def _data():
    synth = {"device": "d", "lut": 36, "carry": 22, "ff": 18, "dsp": 1, "ram": 0, "fmax_mhz": 79.64, "seconds": 1.0}
    row = {"name": "LIF", "kind": "cell", "equations": ["v = beta*v + I"], "threshold": "v > threshold",
           "reset": "v = v - threshold", "states": ["v"], "ops": 14, "tables": [], "formats": {"v": "Q8.8"},
           "multipliers": 1, "float_spikes": 865, "fixed_spikes": 860, "integers": 6000,
           "synth": {"ice40": synth, "ecp5": {"status": "failed: ERROR: no BELs remaining"}}}
    ex = dict(row, name="FitzHugh-Nagumo", kind="example", states=["v", "w"], tables=[161], integers=8000, synth={})
    return {"schema": 1, "when": "2026-12-02 13:43 UTC", "revision": "abc", "steps": 1000, "neurons": 2,
            "rows": [row, ex], "seconds": 469.0, "command": "python bench/bench_neurons.py", "versions": {"x": "1"},
            "cosim": {"verilator": {"status": "ok", "compared": 14000, "mismatches": 0, "first": "", "wall_s": 11.0,
                                    "build_s": 1.0},
                      "icarus": {"status": "not run: no iverilog"}},
            "engine": {"LIFStep": {"ice40": synth}}}


def test_tables_show_every_figure_of_the_data():
    text = bench_neurons.render(_data())
    lif = next(line for line in text.splitlines() if line.startswith("| LIF |"))
    assert lif == ("| LIF | v | 14 (1 mul) | 6,000: 0 | not run | 865 / 860 | 36 + 22c / 18 / 1 / 80 MHz | "
                   "failed: ERROR: no BELs remaining |")
    fhn = next(line for line in text.splitlines() if line.startswith("| FitzHugh-Nagumo (example) |"))
    assert "| v, w | 14 (1 mul, table 161) | 8,000: 0 |" in fhn and fhn.endswith("| not run | not run |")
    assert "mismatches: 0 of 14,000 integers" in text and "* icarus: not run: no iverilog." in text
    assert "| LIFStep | 36 + 22c / 18 / 1 / 80 MHz | not run |" in text
    assert "Made by `python bench/bench_neurons.py` on 2026-12-02 13:43 UTC (469 s), commit abc." in text


def test_update_doc_rewrites_only_the_marked_block(tmp_path):
    doc = tmp_path / "neurons.md"
    doc.write_text(f"# Title\n\nprose\n\n{bench_neurons.BEGIN}\nold table\n{bench_neurons.END}\n\nafter\n")
    assert bench_neurons.update_doc(_data(), doc)
    text = doc.read_text()
    assert text.startswith("# Title\n\nprose\n\n") and text.endswith(f"{bench_neurons.END}\n\nafter\n")
    assert "old table" not in text and "| LIF | v |" in text
    plain = tmp_path / "plain.md"
    plain.write_text("no markers\n")
    assert not bench_neurons.update_doc(_data(), plain) and plain.read_text() == "no markers\n"
