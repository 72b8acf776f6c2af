"""What grading a submission found: one TestResult per case, and the Verdict over them (JSON via ``as_dict``)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from questions.exercises.cases import Timing


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class, despite the name

    name: str
    passed: bool
    message: str
    visible: bool = False
    shapes: list[str] = field(default_factory=list)  # the inputs, "[2, 3] float32" / "k=5"
    max_abs_error: float | None = None
    tolerance: list[float] | None = None  # [atol, rtol]; None when compared exactly
    first_mismatch: list[int] | None = None
    traceback: str = ""  # the visitor's own frames only
    seconds: float | None = None  # the submission's call on this case


@dataclass
class Verdict:
    slug: str
    passed: bool
    mode: str  # "check" (visible cases) or "submit" (every case)
    seed: int
    tests: list[TestResult]
    timing: Timing | None = None
    error: str | None = None  # why the run as a whole went wrong (no function, an import, a sandbox limit)
    output: str = ""  # what the submission printed (capped by the sandbox)

    @property
    def failed(self) -> list[TestResult]:
        return [test for test in self.tests if not test.passed]

    def as_dict(self) -> dict[str, Any]:
        """The JSON of the verdict; visitor-made text (output, messages, tracebacks) without NUL characters,
        which PostgreSQL refuses in JSON."""
        return _without_nul({
            "slug": self.slug,
            "passed": self.passed,
            "mode": self.mode,
            "seed": self.seed,
            "tests": [asdict(test) for test in self.tests],
            "timing": asdict(self.timing) if self.timing else None,
            "error": self.error,
            "output": self.output,
        })

    def summary(self) -> str:
        """One line for logs and the CLI."""
        passed = sum(test.passed for test in self.tests)
        line = f"{self.slug}: {'passed' if self.passed else 'failed'} ({passed}/{len(self.tests)} tests, seed {self.seed})"
        return line + (f": {self.error}" if self.error else "")


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {key: _without_nul(item) for key, item in value.items()}
    return value
