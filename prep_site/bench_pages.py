"""Page throughput under load: each page's requests per second against /healthz's, on one gunicorn.

    .venv/bin/python -m prep_site.bench_pages            # or: make bench-pages
    .venv/bin/python -m prep_site.bench_pages --duration 5 --output /tmp/pages.md

Builds a fresh site in a temporary folder exactly as `make run` does (DEBUG off, collected static
files, the bank loaded), starts gunicorn with `make run`'s workers and threads, and points
`wrk -t2 -c32` at each URL in turn: first with the page cache on (the default), then off, so the
cost of rendering is visible too. /healthz (one ``SELECT 1``) is the ceiling of what the server,
Django's middleware and the database connection allow; each page is reported as a share of it,
measured in the same run. Each URL gets a short warm-up that is not counted. Results go to
prep_site/BENCHMARKS.md with the machine they were measured on.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_OUTPUT = REPO / "prep_site" / "BENCHMARKS.md"
TARGET_SHARE = 0.5  # issue 10: every page at least half of /healthz
WORKERS, THREADS = 2, 4  # as in the Makefile's `run`
UNITS = {"": 1.0, "k": 1e3, "M": 1e6}


@dataclass
class Measurement:
    label: str
    path: str
    requests_per_second: float
    latency_ms: float
    bad_status: int  # responses that were not 2xx/3xx
    socket_errors: int  # connect/read/write errors and timeouts (wrk's is 2 s)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def site_env(var_dir: Path, page_cache: bool) -> dict[str, str]:
    scrubbed = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
    return {
        **scrubbed,
        "PREP_VAR_DIR": str(var_dir),
        "STATIC_ROOT": str(var_dir / "staticfiles"),
        "PAGE_CACHE_SECONDS": "600" if page_cache else "0",
        "SANDBOX_PRELOAD_MODEL": "false",
    }


def prepare_site(var_dir: Path) -> None:
    env = site_env(var_dir, page_cache=True)
    for command in (["migrate", "--noinput"], ["createcachetable"], ["collectstatic", "--noinput"], ["load_bank"]):
        subprocess.run([sys.executable, "manage.py", *command, "-v", "0"], cwd=REPO, env=env, check=True)


@contextmanager
def gunicorn(var_dir: Path, page_cache: bool) -> Iterator[str]:
    port = free_port()
    log = open(var_dir / f"gunicorn-{page_cache}.log", "wb")
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "prep_site.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(WORKERS), "--threads", str(THREADS)],
        cwd=REPO, env=site_env(var_dir, page_cache), stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"gunicorn did not start; see {log.name}") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def wrk(url: str, duration: int) -> tuple[float, float, int, int]:
    """(requests/s, mean latency in ms, non-2xx/3xx responses, socket errors) of one wrk run."""
    output = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{duration}s", "--latency", url], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"Latency\s+([\d.]+)(us|ms|s)", output).groups()
    latency = float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    bad_status = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", output))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return rate, latency, bad_status, sum(int(n) for n in socket.groups()) if socket else 0


def pages(base: str) -> list[tuple[str, str]]:
    with urllib.request.urlopen(f"{base}/api/questions/?limit=1", timeout=30) as response:
        slug = json.load(response)["results"][0]["slug"]
    return [
        ("healthz", "/healthz"),
        ("question page", f"/q/{slug}/"),
        ("home", "/"),
        ("search", "/search/?q=kv+cache"),
        ("questions API", "/api/questions/"),
    ]


def measure(var_dir: Path, page_cache: bool, duration: int) -> list[Measurement]:
    results = []
    with gunicorn(var_dir, page_cache) as base:
        for label, path in pages(base):
            # Warm-up, not counted: one request at a time first, so each worker renders (and caches) the
            # page once instead of 32 connections rendering it at once, then a short burst under load.
            for _ in range(2 * WORKERS):
                urllib.request.urlopen(base + path, timeout=60).read()
            wrk(base + path, 2)
            rate, latency, bad_status, socket_errors = wrk(base + path, duration)
            results.append(Measurement(label, path, rate, latency, bad_status, socket_errors))
            print(f"  page cache {'on ' if page_cache else 'off'} {label:14} {rate:8.1f} req/s", flush=True)
    return results


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout
    return (f"{os.cpu_count()} × {cpu}, {platform.system()} {platform.release()}, Python {platform.python_version()}, "
            f"SQLite database and cache, commit {commit.strip() or 'unknown'}; at the start: {load_average()}")


def load_average() -> str:
    # The machine is shared: the load says how much of it the benchmark really had.
    return "load average (1/5/15 min) " + " / ".join(f"{x:.1f}" for x in os.getloadavg())


def table(results: list[Measurement]) -> list[str]:
    ceiling = results[0].requests_per_second
    lines = ["| Page | URL | req/s | share of /healthz | mean latency | non-2xx | socket errors/timeouts |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for m in results:
        share = m.requests_per_second / ceiling
        mark = "" if m.path == "/healthz" else (" ✓" if share >= TARGET_SHARE else " ✗")
        lines.append(f"| {m.label} | `{m.path}` | {m.requests_per_second:.0f} | {share:.0%}{mark} | "
                     f"{m.latency_ms:.1f} ms | {m.bad_status} | {m.socket_errors} |")
    return lines


def report(cached: list[Measurement], uncached: list[Measurement], duration: int, started: datetime, where: str) -> str:
    return "\n".join([
        "# Page throughput",
        "",
        "Written by `python -m prep_site.bench_pages` (`make bench-pages`); do not edit by hand.",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC on {where}; at the end: {load_average()}.",
        "",
        f"One gunicorn (`--workers {WORKERS} --threads {THREADS}`, as `make run`), DEBUG off, static files collected,",
        f"the bank loaded; `wrk -t2 -c32 -d{duration}s` against each URL in turn after a 2 s warm-up, wrk on the",
        "same machine. wrk repeats one URL, so with the page cache on every page after the first is a hit:",
        "this is the anonymous reader's case. Target: each page at least "
        f"{TARGET_SHARE:.0%} of `/healthz` in the same run.",
        "",
        "## Page cache on (the default)",
        "",
        *table(cached),
        "",
        "## Page cache off (`PAGE_CACHE_SECONDS=0`: every request rendered, as for a signed-in visitor)",
        "",
        *table(uncached),
        "",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds of wrk per URL (default 15)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    started, where = datetime.now(UTC), machine()
    with tempfile.TemporaryDirectory(prefix="prep-bench-") as tmp:
        var_dir = Path(tmp) / "var"
        print("preparing a fresh site (migrate, collectstatic, load_bank)...", flush=True)
        prepare_site(var_dir)
        cached = measure(var_dir, page_cache=True, duration=args.duration)
        uncached = measure(var_dir, page_cache=False, duration=args.duration)
    args.output.write_text(report(cached, uncached, args.duration, started, where))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
