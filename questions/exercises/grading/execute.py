"""Where the harness runs: in the sandbox (the site, the CLI), or locally for the content tests.

Every path feeds the same harness (``harness.py``) the same serialised inputs and reads back the
same records, so the tests exercise the grading logic the site uses. Only the sandbox path is for
untrusted code; the local paths (in-process, or a fork for memory caps) run bank content (references and wrong solutions) in tests.
"""
from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from questions.exercises.grading import harness
from sandbox.jail.runner import Exchange, Limits, Sandbox

HARNESS_SOURCE = Path(harness.__file__).read_text(encoding="utf-8")
OutputListener = Callable[[str], None]


@dataclass
class Execution:
    records: list[dict] = field(default_factory=list)
    output: str = ""  # what the submission printed
    stopped: str = ""  # the sentence of the limit that stopped the run, "" when it finished by itself
    duration_s: float = 0.0


def encode_inputs(function: str, cases: list) -> bytes:
    """Only what the submission is called with: names, args, kwargs and memory budgets (never the oracle)."""
    payload = {
        "function": function,
        "cases": [
            {"name": c.name, "args": tuple(c.args), "kwargs": dict(c.kwargs), "memory_limit_bytes": c.memory_limit_bytes}
            for c in cases
        ],
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def decode_records(blob: bytes) -> list[dict]:
    """The harness's records, up to the first one that is cut off or not plain data."""
    records, offset = [], 0
    while offset + harness.FRAME_HEADER.size <= len(blob):
        (size,) = harness.FRAME_HEADER.unpack_from(blob, offset)
        start = offset + harness.FRAME_HEADER.size
        if start + size > len(blob):
            break
        try:
            # weights_only: tensors and plain containers only; nothing the sandbox sends can run code here.
            record = torch.load(io.BytesIO(blob[start:start + size]), weights_only=True)
        except Exception:
            break
        if not isinstance(record, dict) or not isinstance(record.get("kind"), str):
            break
        records.append(record)
        offset = start + size
    return records


def in_sandbox(sandbox: Sandbox, limits: Limits, source: str, inputs: bytes, result_bytes: int,
               on_output: OutputListener | None = None, should_stop: Callable[[], bool] | None = None) -> Execution:
    exchange = Exchange(
        files={harness.SUBMISSION_FILE: source.encode("utf-8"), "inputs.pt": inputs},
        result_bytes=result_bytes,
        engine=False,
        on_output=on_output,
    )
    outcome = sandbox.run(HARNESS_SOURCE, limits, should_stop, exchange=exchange)
    stopped = outcome.reason
    if not stopped and outcome.exit_code not in (0, None):
        stopped = f"The program exited with status {outcome.exit_code} before it finished."
    return Execution(decode_records(outcome.result), outcome.output, stopped, outcome.duration_s)


def in_process(source: str, inputs: bytes, on_output: OutputListener | None = None) -> Execution:
    """The fast path for trusted content: no limits at all (memory-capped cases need ``in_fork``)."""
    payload = torch.load(io.BytesIO(inputs), weights_only=True)
    blobs: list[bytes] = []
    printed = io.StringIO()
    module_name = "submission"
    previous = sys.modules.get(module_name)
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            # Records go through the same encoding as in the sandbox, so both paths read the same data.
            harness.run(source, payload, lambda record: blobs.append(harness.encode(record)),
                        function=payload["function"], limit_memory=False)
    finally:
        if previous is None:
            sys.modules.pop(module_name, None)
        else:
            sys.modules[module_name] = previous
    if on_output and printed.getvalue():
        on_output(printed.getvalue())
    return Execution(decode_records(b"".join(blobs)), printed.getvalue())


def in_fork(source: str, inputs: bytes, timeout_s: float, on_output: OutputListener | None = None) -> Execution:
    """The harness in a forked child of this process: real memory caps and a timeout, without a new interpreter.

    A fork starts in milliseconds with torch already imported (a fresh interpreter takes seconds to import
    it), which keeps the content tests of memory-capped exercises fast. For trusted content only.
    """
    payload = torch.load(io.BytesIO(inputs), weights_only=True)
    with tempfile.TemporaryDirectory(prefix="exercise-") as folder:
        result, printed = Path(folder, "result.bin"), Path(folder, "output.txt")
        pid = os.fork()
        if pid == 0:  # the child: never return into the caller's stack
            status = 1
            try:
                status = _child(source, payload, result, printed)
            finally:
                os._exit(status)
        stopped = _wait(pid, timeout_s)
        output = printed.read_text(encoding="utf-8", errors="replace") if printed.exists() else ""
        blob = result.read_bytes() if result.exists() else b""
    if on_output and output:
        on_output(output)
    return Execution(decode_records(blob), output, stopped)


def _child(source: str, payload: dict, result: Path, printed: Path) -> int:
    out = os.open(printed, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    sys.stdout = sys.stderr = open(1, "w", buffering=1, encoding="utf-8", closefd=False)
    torch.set_num_threads(1)  # as in the sandbox (OMP_NUM_THREADS=1)
    with open(result, "wb") as records:
        def emit(record: dict) -> None:
            records.write(harness.encode(record))
            records.flush()

        harness.run(source, payload, emit, function=payload["function"], limit_memory=True)
    sys.stdout.flush()
    return 0


def _wait(pid: int, timeout_s: float) -> str:
    """Wait for the child; kill it at the deadline. Returns the sentence of what stopped it, or ""."""
    deadline = time.monotonic() + timeout_s
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            return "" if code == 0 else f"The program exited with status {code} before it finished."
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return f"Stopped: the program ran longer than the {timeout_s:g} s wall-clock limit."
        time.sleep(0.02)
