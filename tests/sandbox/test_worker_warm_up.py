"""A worker process pays its start-up costs before the first click: torch, the demo modules, the models."""

from __future__ import annotations

import engine
from sandbox.tasks import warm_up


def test_it_preloads_the_shared_model_when_asked(settings, monkeypatch):
    loaded: list[str] = []
    monkeypatch.setattr(engine, "warm_shared_models", lambda device="cpu", **_: loaded.append(device), raising=False)
    settings.SANDBOX_PRELOAD_MODEL = True
    warm_up()
    assert loaded in (["cpu"], ["cuda"])


def test_it_skips_the_model_when_preloading_is_off(settings, monkeypatch):
    loaded: list[str] = []
    monkeypatch.setattr(engine, "warm_shared_models", lambda device="cpu", **_: loaded.append(device), raising=False)
    settings.SANDBOX_PRELOAD_MODEL = False
    warm_up()
    assert loaded == []


def test_a_failed_preload_does_not_take_the_worker_down(settings, monkeypatch, caplog):
    def broken(**_):
        raise OSError("weights missing")

    monkeypatch.setattr(engine, "warm_shared_models", broken, raising=False)
    settings.SANDBOX_PRELOAD_MODEL = True
    warm_up()  # must not raise
    assert "sandbox warm-up failed" in caplog.text
