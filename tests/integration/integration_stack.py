"""The processes behind the integration tests: redis-server, gunicorn, Celery workers and beat.

Everything runs as separate processes that share one SQLite file in a temporary
folder (``DATABASE_URL``) and one Redis (``CELERY_BROKER_URL``/``REDIS_URL``), so
the tests see what production sees: HTTP in, messages through Redis, rows in a
database written by other processes. pytest-django's own test database is not
used here at all, which keeps the workers and the test looking at the same file.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FINAL = {"succeeded", "failed", "timed_out", "cancelled"}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.2, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Redis:
    """A private redis-server that can be stopped and started again on the same port (broker outages)."""

    def __init__(self, folder: Path, external_url: str = ""):
        self.port = free_port()
        self.folder = folder
        self.external_url = external_url  # REDIS_URL given: use it, never stop it
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return self.external_url or f"redis://127.0.0.1:{self.port}/0"

    @property
    def can_restart(self) -> bool:
        return not self.external_url

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self._answers, 10, what="redis-server")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class Client:
    """A tiny HTTP client with cookies and Django's CSRF double-submit token."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = secrets.token_hex(16)  # 32 characters: a valid unmasked CSRF secret
        host = base.split("//", 1)[1].split(":")[0]
        self.jar.set_cookie(http.cookiejar.Cookie(
            0, "csrftoken", self.csrf, None, False, host, False, False, "/", True, False, None, False, None, None, {}
        ))  # fmt: skip

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        request.add_header("X-CSRFToken", self.csrf)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        status, data = self.request("POST", "/runs/api/runs/", body)
        assert status == 202, (status, data)
        return data

    def status(self, run_id: str) -> dict[str, Any]:
        status, data = self.request("GET", f"/runs/api/runs/{run_id}/")
        assert status == 200, (status, data)
        return data

    def wait_final(self, run_ids: list[str], timeout: float) -> dict[str, dict[str, Any]]:
        done: dict[str, dict[str, Any]] = {}

        def all_final() -> bool:
            for run_id in run_ids:
                if run_id not in done:
                    data = self.status(run_id)
                    if data["state"] in FINAL:
                        done[run_id] = data
            return len(done) == len(run_ids)

        wait_for(all_final, timeout, interval=0.5, what=f"{len(run_ids) - len(done)} runs to finish")
        return done


class Stack:
    """The processes of one test module, their shared environment, and their logs."""

    def __init__(self, folder: Path, redis: Redis):
        self.folder = folder
        self.redis = redis
        self.completions = folder / "completions.txt"
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "DJANGO_SETTINGS_MODULE": "prep_site.settings",
            "DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
            "PREP_VAR_DIR": str(folder / "var"),
            "CELERY_BROKER_URL": redis.url,
            "REDIS_URL": redis.url,
            # Short enough that a killed worker's message comes back during the test.
            "CELERY_VISIBILITY_TIMEOUT": "15",
            "ENGINE_EXTRA_DEMO_MODULES": "tests.sandbox.demo_fixtures",
            "SANDBOX_TEST_COMPLETIONS": str(self.completions),
            "SANDBOX_PRELOAD_MODEL": "false",
            "SANDBOX_LEASE_SECONDS": "6",
            "SANDBOX_SWEEP_EVERY": "2",
            "SANDBOX_QUEUED_RESEND_AFTER": "20",
            "SANDBOX_RATE_LIMIT_DEMO": "1000",
            "SANDBOX_RATE_LIMIT_CODE": "1000",
            # Many submissions from one test client (one IP) on purpose; the caps have their own unit tests.
            "SANDBOX_ACTIVE_RUNS_PER_VISITOR": "1000",
            "SANDBOX_ACTIVE_RUNS_PER_IP": "1000",
            "SANDBOX_CODE_RUNNERS": "everyone",
        }
        self.env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        self.port = free_port()
        self.client = Client(f"http://127.0.0.1:{self.port}")

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=REPO, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "ab")
        process = subprocess.Popen(
            argv, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = process
        return process

    def start_web(self) -> None:
        self.spawn("web", [str(BIN / "gunicorn"), "prep_site.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
                           "--workers", "2", "--threads", "8", "--timeout", "60"])  # fmt: skip
        wait_for(lambda: self._healthy(), 60, interval=0.5, what="gunicorn")

    def _healthy(self) -> bool:
        try:
            return self.client.request("GET", "/healthz")[0] == 200
        except OSError:
            return False

    def start_worker(self, name: str, concurrency: int = 1) -> subprocess.Popen:
        process = self.spawn(name, [str(BIN / "celery"), "-A", "prep_site", "worker", "-Q", "cpu,gpu,code,exercises", "-n", f"{name}@%h",
                                    "--concurrency", str(concurrency), "--without-gossip", "--without-mingle",
                                    "--loglevel", "INFO"])  # fmt: skip
        wait_for(
            lambda: b"ready." in (self.folder / f"{name}.log").read_bytes(), 90, interval=0.5, what=f"worker {name}"
        )
        return process

    def start_beat(self) -> None:
        self.spawn("beat", [str(BIN / "celery"), "-A", "prep_site", "beat", "--schedule",
                            str(self.folder / "beat-schedule"), "--loglevel", "INFO"])  # fmt: skip

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal a process and everything it started (a worker and its pool children)."""
        process = self.processes.pop(name)
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(30)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM if name == "web" else signal.SIGKILL)

    def completion_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        if self.completions.exists():
            for tag in self.completions.read_text().split():
                counts[tag] = counts.get(tag, 0) + 1
        return counts

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""
