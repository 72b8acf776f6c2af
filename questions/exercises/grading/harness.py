"""The program that runs a submission on a case's inputs: inside the sandbox, or in-process for tests.

Trust: everything here runs next to the visitor's code, so it holds no secret. It sees only the
submission and the cases' inputs (``args``/``kwargs``); the expected outputs, the tolerances and the
reference stay on the worker, which compares. What this program sends back is data: the worker reads
it with ``torch.load(weights_only=True)``, so a forged record can claim only outputs, never run code.

This file imports nothing from the project (the sandbox mounts none of it): stdlib and torch only.
In the sandbox it is the program on stdin; it finds ``input/submission.py`` and ``input/inputs.pt`` and
writes length-prefixed ``torch.save`` records to the pipe in ``SANDBOX_RESULT_FD`` (the test path
calls ``run`` directly, with its own ``emit``):

* ``{"kind": "loaded", "error": str, "traceback": str}`` once the submission is imported (error "" if fine);
* ``{"kind": "start", "case": name}`` before each call, so a run killed mid-case says which case it was;
* ``{"kind": "case", "case", "ok", "output", "error", "traceback", "seconds", "memory"}`` after each call.
"""
from __future__ import annotations

import builtins
import io
import linecache
import os
import struct
import sys
import time
import traceback
import types
from typing import Any, Callable

SUBMISSION_FILE = "submission.py"  # the file name the visitor's frames carry in tracebacks
INPUT_DIR = "input"
BLOCKED_PACKAGES = frozenset({"engine", "questions", "sandbox", "prep_site"})
BLOCKED_SENTENCE = (
    "exercises are graded against the engine: import torch and write it yourself "
    "(importing {name!r} is not allowed here)"
)
FRAME_HEADER = struct.Struct(">Q")

Emit = Callable[[dict], None]


class _BlockProjectImports:
    """A meta-path finder that refuses the project's packages (the sandbox also leaves them unmounted)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] in BLOCKED_PACKAGES:
            raise ImportError(BLOCKED_SENTENCE.format(name=name.split(".")[0]))
        return None


def _guarded_builtins() -> dict[str, Any]:
    """The submission's builtins: the same, except that ``import engine`` (and friends) fails with a sentence.

    This also holds in-process, where the test process may have imported the engine already (a
    meta-path finder is not consulted for a module already in ``sys.modules``).
    """
    real_import = builtins.__import__

    def guarded_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        if level == 0 and name.split(".")[0] in BLOCKED_PACKAGES:
            raise ImportError(BLOCKED_SENTENCE.format(name=name.split(".")[0]))
        return real_import(name, globals, locals, fromlist, level)

    return {**vars(builtins), "__import__": guarded_import}


def visitor_traceback(exc: BaseException) -> str:
    """The exception with only the visitor's own frames (ours would be noise, and are none of their business)."""
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == SUBMISSION_FILE]
    lines = ["Traceback (your code):\n", *traceback.format_list(frames)] if frames else []
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip()


def load_submission(source: str, module_name: str = "submission") -> types.ModuleType:
    """Execute the submission as a module of its own, with import guards; exceptions propagate."""
    # Tracebacks read the source lines through linecache; the file exists nowhere else under this name.
    linecache.cache[SUBMISSION_FILE] = (len(source), None, source.splitlines(keepends=True), SUBMISSION_FILE)
    module = types.ModuleType(module_name)
    module.__file__ = SUBMISSION_FILE
    module.__dict__["__builtins__"] = _guarded_builtins()
    sys.modules[module_name] = module  # dataclasses and pickling look their module up here
    exec(compile(source, SUBMISSION_FILE, "exec"), module.__dict__)
    return module


def _is_out_of_memory(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("allocate memory" in text or "out of memory" in text or "bad_alloc" in text)


def _address_space_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("VmSize missing from /proc/self/status")


def cap_memory(extra_bytes: int) -> None:
    """Allow this process ``extra_bytes`` more address space than it uses now, for good.

    Both limits go down (a submission cannot raise them back), which is why the harness runs the
    memory-capped cases last.
    """
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space_bytes() + extra_bytes
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _plain(value: Any, where: str = "output") -> Any:
    """The output as plain data ``torch.load(weights_only=True)`` can read; TypeError naming what is not."""
    import torch

    if isinstance(value, torch.Tensor):
        # detach: no autograd graph; clone: a view would drag its whole storage along; plain Tensor class.
        return value.detach().cpu().clone().as_subclass(torch.Tensor)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        items = [_plain(item, f"{where}[{index}]") for index, item in enumerate(value)]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {key: _plain(item, f"{where}[{key!r}]") for key, item in value.items()}
    raise TypeError(
        f"{where} is a {type(value).__module__}.{type(value).__qualname__}; return torch tensors, numbers, "
        "strings, or lists, tuples and dicts of them"
    )


def run(source: str, payload: dict, emit: Emit, *, function: str, limit_memory: bool) -> None:
    """Import ``source``, call ``function`` on every case of ``payload``, emit a record per step."""
    try:
        module = load_submission(source)
    except BaseException as exc:  # noqa: BLE001  (SystemExit and friends from the visitor's top level too)
        emit({"kind": "loaded", "error": f"{type(exc).__name__}: {exc}", "traceback": visitor_traceback(exc)})
        return
    target = getattr(module, function, None)
    if not callable(target):
        defined = sorted(name for name, value in vars(module).items()
                         if isinstance(value, types.FunctionType) and not name.startswith("_"))
        emit({"kind": "loaded", "traceback": "", "error": f"your code does not define the function {function}() "
              f"(it defines {', '.join(n + '()' for n in defined) if defined else 'no function'})"})
        return
    emit({"kind": "loaded", "error": "", "traceback": ""})
    # Memory-capped cases last: once lowered, the address-space limit stays down.
    for case in sorted(payload["cases"], key=lambda c: c.get("memory_limit_bytes") is not None):
        emit({"kind": "start", "case": case["name"]})
        record: dict[str, Any] = {"kind": "case", "case": case["name"], "ok": False, "output": None, "error": "",
                                  "traceback": "", "seconds": 0.0, "memory": False}
        try:
            if limit_memory and case.get("memory_limit_bytes") is not None:
                cap_memory(int(case["memory_limit_bytes"]))
            started = time.perf_counter()
            output = target(*case["args"], **case["kwargs"])
            record["seconds"] = time.perf_counter() - started
            record["output"] = _plain(output)
            record["ok"] = True
        except BaseException as exc:  # noqa: BLE001
            record["error"] = f"{type(exc).__name__}: {exc}"
            record["traceback"] = visitor_traceback(exc)
            record["memory"] = _is_out_of_memory(exc)
            del exc
        output = None  # free the case's memory before the next one
        emit(record)


def encode(record: dict) -> bytes:
    import torch

    buffer = io.BytesIO()
    torch.save(record, buffer)
    data = buffer.getvalue()
    return FRAME_HEADER.pack(len(data)) + data


def _writer() -> Emit:
    fd = int(os.environ["SANDBOX_RESULT_FD"])

    def emit(record: dict) -> None:
        view = memoryview(encode(record))
        while view:
            view = view[os.write(fd, view):]

    return emit


def main() -> None:
    import torch

    sys.meta_path.insert(0, _BlockProjectImports())
    # The working directory holds the inputs, not modules: keep "import submission" from finding them there.
    sys.path[:] = [p for p in sys.path if p not in ("", ".")]
    folder = INPUT_DIR
    with open(os.path.join(folder, SUBMISSION_FILE), encoding="utf-8") as handle:
        source = handle.read()
    payload = torch.load(os.path.join(folder, "inputs.pt"), weights_only=True)
    run(source, payload, _writer(), function=payload["function"], limit_memory=True)


if __name__ == "__main__":
    main()
