"""Fixtures for the integration tests: a Redis for the session, a web + worker stack per module.

Redis: ``REDIS_URL`` if set, else a ``redis-server`` started on a free loopback
port. Without either, the tests skip with the reason — and fail under CI=true.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from integration_stack import Redis, Stack, in_ci


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[Redis]:
    if os.environ.get("REDIS_URL"):
        yield Redis(tmp_path_factory.mktemp("redis"), external_url=os.environ["REDIS_URL"])
        return
    if not shutil.which("redis-server"):
        reason = "redis-server is not installed (apt-get install redis-server, or run `make test`)"
        if in_ci():
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    redis = Redis(tmp_path_factory.mktemp("redis"))
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture(scope="module")
def stack(redis_server, tmp_path_factory) -> Iterator[Stack]:
    stack = Stack(tmp_path_factory.mktemp("stack"), redis_server)
    stack.manage("migrate", "--noinput")
    stack.start_web()
    try:
        yield stack
    finally:
        stack.stop_all()
