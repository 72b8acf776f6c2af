"""Read prep_site.settings in a fresh interpreter under a given environment.

Settings are read once per process, so defaults (DEBUG, cookies, hosts, the secret key) can only be
observed by importing them anew with exactly the environment `make run` or docker-compose gives.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
# Variables settings read that must not leak in from the environment running the tests.
_SCRUBBED_PREFIXES = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "ALLOW_LAN_HOSTS", "HTTPS", "SECURE_", "SESSION_",
                      "CSRF_", "TRUST_", "DATABASE_URL", "REDIS_URL", "PREP_VAR_DIR", "STATIC_ROOT", "SANDBOX_",
                      "DJANGO_SETTINGS_MODULE")


def clean_env(var_dir: Path, **variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    return {**env, "PREP_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "prep_site.settings", **variables}


def settings_under(var_dir: Path, names: list[str], **variables: str) -> dict[str, Any]:
    """The values of ``names`` in prep_site.settings imported with only ``variables`` set."""
    code = (
        "import json, sys; from prep_site import settings as s; "
        "print(json.dumps({n: getattr(s, n) for n in sys.argv[1:]}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *names], cwd=REPO, env=clean_env(var_dir, **variables),
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def manage(var_dir: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=clean_env(var_dir, **variables),
        capture_output=True, text=True, timeout=300,
    )
