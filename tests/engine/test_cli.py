"""``python -m engine``: demo and generate subcommands, and their errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import _parse_demo_params, main

REPO = Path(__file__).resolve().parents[2]


def test_demo_prints_the_json_result(capsys):
    assert main(["demo", "kv_cache_memory", "--seq_len", "1024", "--dtype=int8"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["params"] == {"seq_len": 1024, "batch": 1, "dtype": "int8"}


def test_demo_errors_name_the_param_and_exit_2(capsys):
    assert main(["demo", "kv_cache_memory", "--seq_len", "0"]) == 2
    assert "seq_len: must be between 1 and 131072, got 0" in capsys.readouterr().err
    assert main(["demo", "no_such_demo"]) == 2
    assert "unknown demo 'no_such_demo'" in capsys.readouterr().err


def test_demo_param_parsing():
    assert _parse_demo_params(["--a", "1", "--b-c=x"]) == {"a": "1", "b_c": "x"}
    with pytest.raises(ValueError, match="--a needs a value"):
        _parse_demo_params(["--a"])
    with pytest.raises(ValueError, match="expected --name value"):
        _parse_demo_params(["a"])


def test_generate_rejects_bad_sampling_values_before_loading_the_model(capsys):
    assert main(["generate", "hi", "--top-p", "0"]) == 2
    assert "top_p must be in (0, 1], got 0" in capsys.readouterr().err


@pytest.mark.slow
def test_generate_streams_text_from_the_real_model():
    done = subprocess.run(
        [sys.executable, "-m", "engine", "generate", "What is the capital of France?", "--max-new-tokens", "10"],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Paris" in done.stdout
