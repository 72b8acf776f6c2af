"""The exercise benchmark's report: its Markdown and how it replaces its own section of BENCHMARKS.md."""

from __future__ import annotations

from sandbox.bench_exercises import SECTION_TITLE, markdown, write_section

REPORT = {
    "machine": "2-core Test CPU, torch 2.13.0+cpu, device cpu", "sandbox": "bubblewrap", "load_before": "1.00 1.00 1.00",
    "load_after": "1.10 1.00 1.00", "repeats": 3, "date": "2026-12-04",
    "per_slug": {"stable-softmax": {"n": 3, "p50_ms": 2100.0, "p95_ms": 2500.0, "min_ms": 2000.0}},
    "overall": {"n": 3, "p50_ms": 2100.0, "p95_ms": 2500.0, "min_ms": 2000.0},
    "missing": ["rope"], "reference_failed": [],
}


def test_the_section_names_machine_load_and_missing_exercises():
    text = markdown(REPORT)
    assert text.startswith(SECTION_TITLE)
    assert "2-core Test CPU" in text and "before: 1.00 1.00 1.00" in text
    assert "| `stable-softmax` | 3 | 2100.0 | 2500.0 | 2000.0 |" in text
    assert "Not in the bank when measured: `rope`." in text


def test_writing_replaces_the_earlier_section_and_keeps_the_others(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Sandbox overhead\n\nnumbers\n", encoding="utf-8")
    write_section(markdown(REPORT), path)
    write_section(markdown({**REPORT, "date": "2026-12-05"}), path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Sandbox overhead\n\nnumbers\n")
    assert text.count(SECTION_TITLE) == 1 and "2026-12-05" in text and "2026-12-04" not in text
