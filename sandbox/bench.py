"""How long a click waits before its run starts: ``python -m sandbox.bench``.

Measures the sandbox's own overhead, not the demos: from just before the POST
reaches the API to (a) the moment a warm worker claims a demo run, and (b) the
moment the first line of a code snippet executes inside the sandbox (which adds
bubblewrap and interpreter start-up). It starts a private redis-server, one Celery
worker (concurrency 1, both queues) and uses a throwaway SQLite database, so it
leaves the developer's data alone. Warm-up runs are excluded.

Needs ``redis-server`` on PATH. Prints a Markdown table for sandbox/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise SystemExit(f"bench: timed out waiting for {what}")


def _environment(folder: Path, redis_url: str, preload: bool) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "PREP_VAR_DIR": str(folder / "var"),
        "CELERY_BROKER_URL": redis_url,
        "REDIS_URL": redis_url,
        "SANDBOX_PRELOAD_MODEL": "true" if preload else "false",
        "SANDBOX_RATE_LIMIT_DEMO": "100000",
        "SANDBOX_RATE_LIMIT_CODE": "100000",
        "SANDBOX_CODE_RUNNERS": "everyone",
        "DEBUG": "true",
    }


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(1000 * statistics.median(ordered), 1),
        "p95_ms": round(1000 * ordered[max(0, int(round(0.95 * len(ordered))) - 1)], 1),
        "min_ms": round(1000 * ordered[0], 1),
    }


@contextmanager
def private_worker(
    prefix: str, queues: str, preload: bool = False, extra_env: dict[str, str] | None = None,
    commands: tuple[tuple[str, ...], ...] = (("migrate", "--noinput"),),
) -> Iterator[Path]:
    """A private redis-server, a throwaway SQLite database prepared by ``commands`` (manage.py), and one
    Celery worker (concurrency 1) on ``queues``, ready when this yields; all of it gone afterwards.

    This process's environment is pointed at the same database and broker, so ``django.setup()``
    inside the block talks to them.
    """
    if not shutil.which("redis-server"):
        raise SystemExit("bench: redis-server is not installed (apt-get install redis-server)")
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    port = _free_port()
    redis_url = f"redis://127.0.0.1:{port}/0"
    settings_env = {**_environment(folder, redis_url, preload), **(extra_env or {})}
    env = {**os.environ, **settings_env}
    os.environ.update(settings_env)
    processes: list[subprocess.Popen] = []
    try:
        processes.append(subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        ))  # fmt: skip
        for command in commands:
            subprocess.run([sys.executable, "manage.py", *command], cwd=REPO, env=env, check=True, capture_output=True)
        log = folder / "worker.log"
        processes.append(subprocess.Popen(
            [str(BIN / "celery"), "-A", "prep_site", "worker", "-Q", queues, "--concurrency", "1",
             "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
            cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        ))  # fmt: skip
        _wait(lambda: b"ready." in log.read_bytes(), 180, "the worker")
        yield folder
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(folder, ignore_errors=True)


def _measure(client, body: dict, started_at_of, repeats: int, warmup: int) -> tuple[list[float], list[float]]:
    """POST ``repeats + warmup`` runs one after another; return (to-start, POST-answer) seconds."""
    from sandbox.models import Run

    to_start, post_answer = [], []
    for index in range(warmup + repeats):
        sent = time.time()
        response = client.post("/runs/api/runs/", data=json.dumps(body), content_type="application/json")
        answered = time.time()
        if response.status_code != 202:
            raise SystemExit(f"bench: POST answered {response.status_code}: {response.content[:300]!r}")
        run_id = response.json()["id"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            run = Run.objects.get(pk=run_id)
            if run.is_final:
                break
            time.sleep(0.005)
        if run.state != Run.State.SUCCEEDED:
            raise SystemExit(f"bench: run ended {run.state}: {run.error}")
        if index >= warmup:
            to_start.append(started_at_of(run) - sent)
            post_answer.append(answered - sent)
    return to_start, post_answer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--demo", default="causal_mask", help="a fast demo (its own run time is not measured)")
    parser.add_argument("--preload", action="store_true", help="also preload the pretrained model in the worker")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)
    with private_worker("sandbox-bench-", "cpu,gpu", preload=args.preload):
        import django

        django.setup()
        from django.test import Client

        from engine.environment import describe_environment

        client = Client(SERVER_NAME="localhost")  # a loopback name: served whatever ALLOWED_HOSTS says
        demo_start, demo_post = _measure(
            client, {"demo": args.demo}, lambda run: run.started_at.timestamp(), args.repeats, args.warmup
        )
        code = "import time\nprint(repr(time.time()))\n"
        code_start, code_post = _measure(
            client, {"code": code}, lambda run: float(run.result["output"].split()[0]), args.repeats, args.warmup
        )
        from sandbox.models import Run

        sandbox_mode = Run.objects.filter(kind=Run.Kind.CODE).first().environment.get("sandbox")
        env_info = describe_environment()
        report = {
            "machine": f"{os.cpu_count()}-core {env_info['cpu']}, torch {env_info['torch']}, device {env_info['device']}",
            "sandbox": sandbox_mode,
            "demo": args.demo,
            "post_to_demo_start": _percentiles(demo_start),
            "post_to_code_first_line": _percentiles(code_start),
            "post_answer_demo": _percentiles(demo_post),
            "post_answer_code": _percentiles(code_post),
        }

    print(f"Machine: {report['machine']}; code sandbox: {report['sandbox']}; demo: {report['demo']}\n")
    print("| measurement | n | p50 (ms) | p95 (ms) | min (ms) |\n|---|---|---|---|---|")
    for key, label in (
        ("post_to_demo_start", "POST → demo claimed by a warm worker"),
        ("post_to_code_first_line", "POST → first line of code running in the sandbox"),
        ("post_answer_demo", "POST answered (demo run, 202)"),
        ("post_answer_code", "POST answered (code run, 202)"),
    ):
        row = report[key]
        print(f"| {label} | {row['n']} | {row['p50_ms']} | {row['p95_ms']} | {row['min_ms']} |")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prep_site.settings")
    main()
