"""Submit → verdict for graded exercises on a warm worker: ``python -m sandbox.bench_exercises``.

For each of the nine exercises whose slugs issue 13 fixes (the public contract), POSTs the
exercise's own reference solution as a Submit through the JSON API and times from just before
the POST to the moment the worker wrote the verdict (the run's ``finished_at``): queueing, the
worker building the hidden inputs, the sandboxed child (bubblewrap, Python and torch start-up,
the submission on every case), the oracle and the comparison. One warm-up Submit per exercise is
excluded (the worker's first grade of an exercise imports its cases and the engine code behind them).

Like ``sandbox/bench.py`` (whose helpers it uses): a private redis-server, one Celery worker with
``--concurrency 1`` on the ``exercises`` queue, a throwaway SQLite database loaded with the bank.
Prints a Markdown section for sandbox/BENCHMARKS.md; ``--write`` puts it there (replacing an
earlier one). Slugs the bank does not have yet are listed, not measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import time
from datetime import datetime, timezone
from pathlib import Path

from sandbox.bench import REPO, _percentiles, private_worker

CONTRACT_SLUGS = (
    "stable-softmax", "causal-attention", "repeat-kv", "rope", "rms-norm",
    "top-k-filter", "top-p-filter", "repetition-penalty", "flash-attention",
)
SECTION_TITLE = "# Graded exercises: submit → verdict on a warm worker"
BENCHMARKS = REPO / "sandbox" / "BENCHMARKS.md"


def _cpu_model() -> str:
    """The CPU's model name where Linux says it (the environment description only has the architecture)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def _load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _submit_and_wait(client, slug: str, code: str) -> tuple[float, bool, str]:
    """Seconds from the POST to the verdict, whether it passed, and the sandbox mode."""
    from questions.exercises.models import Submission

    sent = time.time()
    response = client.post("/exercises/api/submissions/", data=json.dumps({"slug": slug, "code": code, "mode": "submit"}),
                           content_type="application/json")
    if response.status_code != 202:
        raise SystemExit(f"bench: POST answered {response.status_code}: {response.content[:300]!r}")
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        submission = Submission.objects.select_related("run").get(pk=response.json()["id"])
        if submission.run.is_final:
            break
        time.sleep(0.02)
    run = submission.run
    if run.state != "succeeded":
        raise SystemExit(f"bench: {slug} ended {run.state}: {run.error}")
    return run.finished_at.timestamp() - sent, bool(run.result.get("passed")), run.environment.get("sandbox", "?")


def measure(repeats: int) -> dict:
    import django

    django.setup()
    from django.test import Client

    from engine.environment import describe_environment
    from questions.exercises.models import Exercise

    client = Client(SERVER_NAME="localhost")  # a loopback name: served whatever ALLOWED_HOSTS says
    available = {e.slug: e for e in Exercise.objects.visible().filter(slug__in=CONTRACT_SLUGS)}
    per_slug, every, failures, sandbox = {}, [], [], "?"
    load_before = _load_average()
    for slug in CONTRACT_SLUGS:
        if slug not in available:
            continue
        code = available[slug].reference
        _submit_and_wait(client, slug, code)  # warm-up
        samples = []
        for _ in range(repeats):
            seconds, passed, sandbox = _submit_and_wait(client, slug, code)
            samples.append(seconds)
            if not passed:
                failures.append(slug)
        per_slug[slug] = _percentiles(samples)
        every += samples
    info = describe_environment()
    return {
        "machine": f"{os.cpu_count()}-core {_cpu_model()}, torch {info['torch']}, device {info['device']}",
        "sandbox": sandbox,
        "load_before": load_before,
        "load_after": _load_average(),
        "repeats": repeats,
        "per_slug": per_slug,
        "overall": _percentiles(every) if every else None,
        "missing": [slug for slug in CONTRACT_SLUGS if slug not in available],
        "reference_failed": sorted(set(failures)),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    }


def markdown(report: dict) -> str:
    lines = [
        SECTION_TITLE, "",
        "Measured with `python -m sandbox.bench_exercises` (private redis-server, one warm Celery worker with",
        "`--concurrency 1` on the `exercises` queue, throwaway SQLite loaded with the bank, Submits posted one",
        "after another, one warm-up Submit per exercise excluded). Each Submit is the exercise's reference",
        "solution; the time runs from just before the POST to the worker writing the verdict: queue, hidden",
        "inputs, the sandboxed child (bubblewrap, Python and torch start-up, every case), oracle, comparison.",
        "Target (issue 13): p50 < 3 s on a 2-core machine.", "",
        f"## {report['machine']} — {report['date']}", "",
        f"Sandbox: {report['sandbox']}. Load average (1, 5, 15 min) before: {report['load_before']}; "
        f"after: {report['load_after']}. {report['repeats']} Submits per exercise.", "",
        "| exercise | n | p50 (ms) | p95 (ms) | min (ms) |", "|---|---|---|---|---|",
    ]
    for slug, row in report["per_slug"].items():
        lines.append(f"| `{slug}` | {row['n']} | {row['p50_ms']} | {row['p95_ms']} | {row['min_ms']} |")
    if report["overall"]:
        row = report["overall"]
        lines.append(f"| **all** | {row['n']} | {row['p50_ms']} | {row['p95_ms']} | {row['min_ms']} |")
    if report["missing"]:
        lines += ["", "Not in the bank when measured: " + ", ".join(f"`{slug}`" for slug in report["missing"]) + "."]
    if report["reference_failed"]:
        lines += ["", "A reference did not pass (a bug to fix before trusting these numbers): "
                  + ", ".join(f"`{slug}`" for slug in report["reference_failed"]) + "."]
    return "\n".join(lines) + "\n"


def write_section(text: str, path: Path = BENCHMARKS) -> None:
    """Replace this benchmark's section of BENCHMARKS.md (from its title to the next top-level title), or append it."""
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    pattern = re.compile(rf"^{re.escape(SECTION_TITLE)}\n.*?(?=^# |\Z)", re.S | re.M)
    if pattern.search(current):
        updated = pattern.sub(lambda _: text + "\n", current, count=1)
    else:
        updated = current.rstrip("\n") + "\n\n" + text
    path.write_text(updated.rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="Submits per exercise after the warm-up")
    parser.add_argument("--write", action="store_true", help="put the section into sandbox/BENCHMARKS.md")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)
    with private_worker("exercise-bench-", "exercises", extra_env={"EXERCISE_RATE_LIMIT": "100000"},
                        commands=(("migrate", "--noinput"), ("load_bank",))):
        report = measure(args.repeats)

    text = markdown(report)
    print(text)
    if args.write:
        write_section(text)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prep_site.settings")
    main()
