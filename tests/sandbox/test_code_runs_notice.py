"""When code cannot run here, the page says so before Run: why, and the one command that fixes it.

The verdict comes from a startup check (the worker's, published in the cache; else the
web process's own), never from a probe per request.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.test import RequestFactory

from sandbox import code_runs
from sandbox.jail import diagnosis
from sandbox.jail.runner import BubblewrapSandbox, Probe, RlimitSandbox


def render_page() -> str:
    template = Template("{% load sandbox_tags %}{% sandbox_assets %}")
    return template.render(Context({"request": RequestFactory().get("/q/x/")}))


def _machine(monkeypatch, bubblewrap: Probe, rlimit: bool) -> None:
    monkeypatch.setattr(BubblewrapSandbox, "probe", classmethod(lambda cls: bubblewrap))
    monkeypatch.setattr(RlimitSandbox, "available", classmethod(lambda cls: rlimit))
    code_runs._local_verdict.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_verdicts():
    code_runs._local_verdict.cache_clear()
    yield
    code_runs._local_verdict.cache_clear()


def test_a_worker_without_bubblewrap_makes_the_page_say_so_with_the_command(monkeypatch, settings):
    _machine(monkeypatch, Probe(False, "bwrap is not installed"), rlimit=False)
    code_runs.report_from_worker()
    html = render_page()
    assert "Code runs are off on this server: bubblewrap is not installed." in html
    assert "apt-get install bubblewrap</code>" in html
    assert 'id="sandbox-code-runs-off"' in html


def test_nothing_is_said_when_code_runs_work(monkeypatch):
    _machine(monkeypatch, Probe(True), rlimit=False)
    code_runs.report_from_worker()
    assert "sandbox-code-runs-off" not in render_page()


def test_the_workers_word_wins_over_the_web_process_check(monkeypatch):
    _machine(monkeypatch, Probe(False, "bwrap is not installed"), rlimit=False)  # the web container lacks it
    cache.set(code_runs.WORKER_KEY, diagnosis.Diagnosis(True, "bubblewrap").as_dict())
    assert code_runs.off_notice() is None


def test_without_a_worker_report_the_web_process_checks_once(monkeypatch):
    calls = []
    monkeypatch.setattr(code_runs, "diagnose", lambda backend: calls.append(backend) or diagnosis.Diagnosis(True, "bubblewrap"))
    cache.delete(code_runs.WORKER_KEY)
    for _ in range(3):
        render_page()
    assert calls == ["auto"]


def test_namespaces_refused_by_apparmor_name_the_sysctl(monkeypatch):
    _machine(monkeypatch, Probe(False, "bwrap: setting up uid map: Permission denied"), rlimit=False)
    monkeypatch.setattr(diagnosis, "_sysctl", lambda name: "1" if name == "kernel.apparmor_restrict_unprivileged_userns" else None)
    verdict = diagnosis.diagnose("auto")
    assert not verdict.available
    assert verdict.reason.startswith("AppArmor forbids unprivileged user namespaces")
    assert verdict.fix.endswith("sysctl -w kernel.apparmor_restrict_unprivileged_userns=0")


def test_the_rlimit_fallback_keeps_code_runs_on(monkeypatch):
    _machine(monkeypatch, Probe(False, "bwrap is not installed"), rlimit=True)
    verdict = diagnosis.diagnose("auto")
    assert verdict.available and verdict.mode == "rlimit-only"
    assert not diagnosis.diagnose("bubblewrap").available  # unless production asked for bubblewrap only


def test_a_worker_reports_its_verdict_when_it_starts(monkeypatch, settings):
    from sandbox.tasks import warm_up

    settings.SANDBOX_PRELOAD_MODEL = False
    cache.delete(code_runs.WORKER_KEY)
    _machine(monkeypatch, Probe(False, "bwrap is not installed"), rlimit=False)
    warm_up()
    assert cache.get(code_runs.WORKER_KEY)["reason"] == "bubblewrap is not installed"


@pytest.mark.django_db
def test_the_question_page_with_runnable_code_carries_the_notice(client, make_question, monkeypatch):
    _machine(monkeypatch, Probe(False, "bwrap is not installed"), rlimit=False)
    code_runs.report_from_worker()
    question = make_question(answer_md="Scores grow as n².\n\n```python run\nprint(sum(range(10)))\n```\n")
    html = client.get(question.get_absolute_url()).content.decode()
    assert 'data-runnable="python"' in html
    assert "Code runs are off on this server: bubblewrap is not installed." in html


def test_a_changed_verdict_is_announced_so_cached_pages_can_be_dropped(monkeypatch):
    heard = []

    def receiver(sender, verdict, **kwargs):
        heard.append(verdict.available)

    code_runs.verdict_changed.connect(receiver)
    try:
        cache.delete(code_runs.WORKER_KEY)
        _machine(monkeypatch, Probe(False, "bwrap is not installed"), rlimit=False)
        code_runs.report_from_worker()
        code_runs.report_from_worker()  # the same verdict again: nothing to announce
        _machine(monkeypatch, Probe(True), rlimit=False)
        code_runs.report_from_worker()
    finally:
        code_runs.verdict_changed.disconnect(receiver)
    assert heard == [False, True]


def test_a_changed_verdict_orphans_the_cached_pages(monkeypatch):
    from prep_site import page_cache

    cache.delete(code_runs.WORKER_KEY)
    _machine(monkeypatch, Probe(False, "bwrap is not installed"), rlimit=False)
    code_runs.report_from_worker()
    before = page_cache.generation()
    _machine(monkeypatch, Probe(True), rlimit=False)
    code_runs.report_from_worker()
    assert page_cache.generation() != before
