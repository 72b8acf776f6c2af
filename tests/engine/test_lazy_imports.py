"""The web process lists demos and validates parameters without importing torch (it is heavy).

Run in a fresh interpreter: this test process has long since imported torch.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

CHECK = """
import sys
import engine
import engine.demos
engine.demos.load_all()
demos = engine.demos.all_demos()
assert demos, "no demos registered"
for demo in demos:
    demo.validate({})
    demo.describe()
engine.demos.get_demo("kv_cache_memory").validate({"seq_len": "2048", "dtype": "int8"})
offenders = sorted(m for m in ("torch", "transformers", "triton", "numpy") if m in sys.modules)
assert not offenders, f"importing engine.demos pulled in {offenders}"
print(len(demos))
"""


def test_listing_and_validating_demos_does_not_import_torch():
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=REPO, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 6


def test_engine_exports_resolve_lazily():
    code = "import sys, engine; assert 'torch' not in sys.modules; engine.SamplingParams; assert 'torch' in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr


def test_unknown_attribute_raises_attribute_error():
    import engine

    with pytest.raises(AttributeError, match="does_not_exist"):
        getattr(engine, "does_not_exist")  # noqa: B009 (the name must be looked up dynamically)
