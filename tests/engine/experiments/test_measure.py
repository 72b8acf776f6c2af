"""engine.experiments.measure: the one timer excludes warm-up and reports the median; steppers decode in place."""
from __future__ import annotations

import torch

from engine import build_model
from engine.core.config import ModelConfig
from engine.experiments import measure
from engine.experiments.measure import DecodeStepper, interleaved_median_times, median_time, one_thread

TINY = ModelConfig(vocab_size=128, d_model=32, n_layers=1, n_heads=2, n_kv_heads=1, d_ff=64, max_seq_len=64)


def test_median_time_runs_warmup_untimed_and_takes_the_median(monkeypatch):
    calls = []
    durations = iter([0.3, 0.1, 0.2])
    monkeypatch.setattr(measure, "time_once", lambda fn, device="cpu": (fn(), next(durations))[1])
    assert median_time(lambda: calls.append(1), reps=3, warmup=2) == 0.2
    assert len(calls) == 5


def test_interleaved_times_alternate_the_variants():
    order = []
    seconds = interleaved_median_times({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, reps=2, warmup=1)
    assert order == ["a", "b", "a", "b", "a", "b"]
    assert set(seconds) == {"a", "b"} and all(s >= 0 for s in seconds.values())


def test_one_thread_restores_the_setting():
    before = torch.get_num_threads()
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_decode_stepper_appends_one_token_per_step():
    model = build_model(TINY)
    stepper = DecodeStepper(model, context_len=10, cache="static", max_steps=4)
    assert stepper.cache.seq_len == 10
    logits = stepper.step()
    assert logits.shape == (1, 1, TINY.vocab_size) and stepper.cache.seq_len == 11
