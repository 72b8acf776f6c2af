"""A run's Exchange (graded exercises): read-only input files, a capped result pipe, no engine, streamed output."""
from __future__ import annotations

import time

import pytest
from sandbox_backends import require

from sandbox.jail.runner import MB, BubblewrapSandbox, Exchange, Limits, _Collected

LIMITS = Limits(wall_seconds=60, cpu_seconds=30, memory_bytes=2048 * MB, processes=32)


@pytest.fixture
def bwrap():
    return require(BubblewrapSandbox)


def test_inputs_are_readable_not_writable_results_come_back_and_the_engine_is_absent(bwrap) -> None:
    code = (
        "import os\n"
        "print(open('input/data.txt').read())\n"
        "try:\n    open('input/data.txt', 'w')\nexcept OSError as exc:\n    print('read-only', type(exc).__name__)\n"
        "try:\n    import engine\nexcept ImportError:\n    print('no engine')\n"
        "os.write(int(os.environ['SANDBOX_RESULT_FD']), b'result bytes')\n"
    )
    exchange = Exchange(files={"data.txt": b"the input"}, result_bytes=1024, engine=False)
    outcome = bwrap.run(code, LIMITS, exchange=exchange)
    assert outcome.output == "the input\nread-only OSError\nno engine\n"
    assert outcome.result == b"result bytes" and not outcome.result_truncated and outcome.ok


def test_a_result_over_its_cap_stops_the_run_with_a_sentence(bwrap) -> None:
    code = "import os\nos.write(int(os.environ['SANDBOX_RESULT_FD']), b'x' * (3 * 1024 * 1024))\nprint('not reached')\n"
    outcome = bwrap.run(code, LIMITS, exchange=Exchange(result_bytes=1 * MB))
    assert outcome.result_truncated and len(outcome.result) <= MB
    assert outcome.reason == "Stopped: the program sent back more than 1 MB of results."
    assert "not reached" not in outcome.output


def test_output_streams_while_the_program_runs(bwrap) -> None:
    heard: list[tuple[float, str]] = []
    started = time.monotonic()
    code = "import time\nprint('first', flush=True)\ntime.sleep(3)\nprint('second')\n"
    outcome = bwrap.run(code, LIMITS, exchange=Exchange(on_output=lambda text: heard.append((time.monotonic(), text))))
    assert "".join(text for _, text in heard) == outcome.output == "first\nsecond\n"
    first_at = heard[0][0] - started
    assert first_at < time.monotonic() - started - 2, "the first line arrived only when the run ended"


def test_a_character_split_across_reads_is_streamed_whole() -> None:
    heard: list[str] = []
    collected = _Collected(output_cap=100, result_cap=0, on_output=heard.append)
    collected.add_output("é".encode()[:1])
    collected.add_output("é".encode()[1:] + b"!")
    assert heard == ["é!"]


def test_exchange_file_names_must_be_plain() -> None:
    with pytest.raises(ValueError, match="plain names"):
        Exchange(files={"../escape": b""})
