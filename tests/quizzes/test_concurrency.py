"""Many takers at once lose no answers: 50+ concurrent clients against a real gunicorn server.

Runs on a fresh SQLite file with the site's production settings (WAL, IMMEDIATE
transactions, busy timeout), and again on PostgreSQL when ``DATABASE_URL`` points
at one (in a throwaway database created and dropped by the test). Every answer
sent must be stored exactly once — one row per (attempt, slot), holding the last
value that client sent — and a burst of saves to the *same* slot must upsert
into one row whose save counter saw every request.
"""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CLIENTS = 50
SAME_SLOT_WRITERS = 12


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_database() -> Iterator[str]:
    """A throwaway database on the server DATABASE_URL names; skipped without one."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("DATABASE_URL does not point at PostgreSQL")
    import psycopg

    name = f"quiz_concurrency_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db.sqlite3'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PREP_VAR_DIR": str(tmp_path / "var"),
           "DJANGO_SETTINGS_MODULE": "prep_site.settings", "DEBUG": "True", "REDIS_URL": ""}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run([sys.executable, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    port = _free_port()
    log = open(tmp_path / "gunicorn.log", "wb")
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "prep_site.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "8", "--timeout", "60"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # A cold worker's first request imports the whole site; on a loaded 2-core machine that can take
        # longer than any fixed read timeout, so wait by the clock and retry slow answers too.
        give_up = time.monotonic() + 120
        while time.monotonic() < give_up:
            try:
                if requests.get(f"{base}/quiz/api/presets/", timeout=30).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise AssertionError("gunicorn did not start:\n" + (tmp_path / "gunicorn.log").read_text())
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


class Taker:
    """One browser: its own cookies (anonymous session) and CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.get(f"{base}/quiz/api/presets/", timeout=30)
        self.http.headers["X-CSRFToken"] = self.http.cookies["csrftoken"]

    def post(self, path: str, body: dict) -> requests.Response:
        return self.http.post(f"{self.base}{path}", json=body, timeout=60)


def _run_takers(base: str) -> dict[str, dict[int, float]]:
    """50 takers start a quiz and answer every question twice, all at once. Returns what each last sent."""
    start_together = threading.Barrier(CLIENTS)

    def take(n: int) -> tuple[str, dict[int, float]]:
        taker = Taker(base)
        start_together.wait(timeout=60)
        state = taker.post("/quiz/api/attempts/", {"preset": "drills"}).json()
        sent: dict[int, float] = {}
        for round_ in range(2):
            for slot in state["slots"]:
                value = n * 1000 + slot["position"] * 10 + round_
                response = taker.post(state["urls"]["save"], {"slot": slot["position"], "value": value})
                assert response.status_code == 200, response.text
                sent[slot["position"]] = float(value)
        return state["id"], sent

    with ThreadPoolExecutor(CLIENTS) as pool:
        return dict(pool.map(take, range(CLIENTS)))


def _same_slot_burst(base: str) -> str:
    taker = Taker(base)
    state = taker.post("/quiz/api/attempts/", {"preset": "drills"}).json()
    go = threading.Barrier(SAME_SLOT_WRITERS)

    def write(n: int) -> int:
        go.wait(timeout=30)
        return taker.post(state["urls"]["save"], {"slot": 1, "value": n}).status_code

    with ThreadPoolExecutor(SAME_SLOT_WRITERS) as pool:
        assert set(pool.map(write, range(SAME_SLOT_WRITERS))) == {200}
    return state["id"]


def _stored_answers(database_url: str, tmp_path: Path) -> str:
    """Read the server's database from a separate process with the same settings."""
    script = (
        "import json;from questions.quizzes.models import Answer;"
        "print(json.dumps([[str(a.attempt_id), a.slot.position, a.value, a.saves] "
        "for a in Answer.objects.select_related('slot')]))"
    )
    env = {**os.environ, "DATABASE_URL": database_url, "PREP_VAR_DIR": str(tmp_path / "var"), "REDIS_URL": ""}
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]


def test_concurrent_takers_lose_no_answers(server: str, database_url: str, tmp_path: Path) -> None:
    import json

    sent = _run_takers(server)
    burst_attempt = _same_slot_burst(server)
    rows = json.loads(_stored_answers(database_url, tmp_path))
    stored = {(attempt, position): (value, saves) for attempt, position, value, saves in rows}
    assert len(rows) == len(stored)  # never two rows for one (attempt, slot)
    expected = {(attempt, position): value for attempt, values in sent.items() for position, value in values.items()}
    assert len(expected) == CLIENTS * 5
    for key, value in expected.items():
        assert stored[key] == (value, 2), key
    assert stored[(burst_attempt, 1)][1] == SAME_SLOT_WRITERS
    assert len(rows) == CLIENTS * 5 + 1
