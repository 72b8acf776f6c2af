"""`manage.py check --deploy` is clean with the environment docker-compose gives the site, and each
security setting it looks at can be changed from the environment (turning one off brings its warning)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from settings_probe import manage

REPO = Path(__file__).resolve().parents[2]


def production_env() -> dict[str, str]:
    """The Django services' environment from docker-compose.yml, ${VAR:-default}s resolved to their defaults."""
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    env = compose["services"]["web"]["environment"]
    resolved = {name: re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value)) for name, value in env.items()}
    # The required ones (${VAR:?...}) have no default: give them what an operator would.
    resolved.update(SECRET_KEY="k" * 20 + "-production-secret-with-enough-variety-0123456789", REDIS_PASSWORD="secret")
    return {name: value for name, value in resolved.items() if "${" not in value}


def check_deploy(tmp_path: Path, **overrides: str) -> str:
    env = {**production_env(), **overrides}
    result = manage(tmp_path / "var", "check", "--deploy", "--fail-level", "WARNING", **env)
    return result.stdout + result.stderr + f"\nexit status {result.returncode}"


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    output = check_deploy(tmp_path)
    assert "System check identified no issues" in output and "exit status 0" in output, output


@pytest.mark.parametrize(
    "variable, value, warning",
    [
        ("SECURE_HSTS_SECONDS", "0", "security.W004"),
        ("SECURE_SSL_REDIRECT", "false", "security.W008"),
        ("SESSION_COOKIE_SECURE", "false", "security.W012"),
        ("CSRF_COOKIE_SECURE", "false", "security.W016"),
        ("DEBUG", "true", "security.W018"),
    ],
)
def test_each_security_setting_comes_from_the_environment(tmp_path, variable, value, warning):
    assert warning in check_deploy(tmp_path, **{variable: value})
