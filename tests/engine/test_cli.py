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


def test_sliding_cache_without_a_window_is_explained(capsys, monkeypatch):
    from engine import build_model
    from engine.core.config import ModelConfig

    tiny = build_model(ModelConfig(vocab_size=64, d_model=32, n_layers=1, n_heads=2, n_kv_heads=1, d_ff=64, max_seq_len=64))

    class Tok:
        eos_token_id = 2

        def encode_chat(self, messages):
            return [5, 6, 7]

        def decode(self, ids, skip_special_tokens=False):
            return "x" * len(ids)

    monkeypatch.setattr("engine.io.loader.load_model", lambda *a, **k: (tiny, Tok()))
    assert main(["generate", "hi", "--cache", "sliding", "--max-new-tokens", "3"]) == 2
    assert "window: the sliding cache needs a positive window" in capsys.readouterr().err
    assert main(["generate", "hi", "--cache", "sliding", "--window", "4", "--max-new-tokens", "3"]) == 0
    assert capsys.readouterr().out == "xxx\n"


@pytest.mark.slow
@pytest.mark.parametrize("weights", ["dequantized", "gguf"])
def test_generate_streams_text_from_the_real_model(weights):
    done = subprocess.run(
        [sys.executable, "-m", "engine", "generate", "What is the capital of France?", "--max-new-tokens", "10",
         "--weights", weights],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Paris" in done.stdout


def test_generate_names_the_weights_choices(capsys):
    with pytest.raises(SystemExit):
        main(["generate", "hi", "--weights", "int3"])
    assert "--weights: invalid choice: 'int3'" in capsys.readouterr().err
