"""One hidden (or visible) test of an exercise: the inputs a submission is called with.

An exercise's ``cases.py`` builds these from a seed on the worker; only ``args`` and
``kwargs`` ever reach the sandbox. What the output should be is the exercise's oracle
(``expected(case)``), computed on the worker and never shown to the submission.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Compare = Literal["allclose", "exact"]


@dataclass(frozen=True)
class Case:
    name: str  # kebab-case, unique within the exercise; wrong solutions name the cases that catch them
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    visible: bool = False  # an example: shown on the page and run by "Check"
    explain: str = ""  # one sentence on what this case checks; a failure message quotes it
    # Extra memory the submission may allocate for this case (the child lowers its own limit before the
    # call): how flash-attention proves it never holds an N x N score matrix.
    memory_limit_bytes: int | None = None
    compare: Compare = "allclose"  # "exact": integer-like results, or floats that must match bit for bit

    def __post_init__(self) -> None:
        if not self.name or self.name != self.name.lower() or " " in self.name:
            raise ValueError(f"case name must be kebab-case (got {self.name!r})")
        if self.compare not in ("allclose", "exact"):
            raise ValueError(f"case {self.name}: compare must be 'allclose' or 'exact' (got {self.compare!r})")

    @property
    def is_large(self) -> bool:
        """The case the grader times the submission against the engine on."""
        return self.name.startswith("large-")


@dataclass(frozen=True)
class Timing:
    """The grader's line on the ``large-`` case: the submission's seconds next to the engine's.

    The engine's seconds are those of the exercise's ``engine(case)`` when ``cases.py`` defines one
    (the engine's own production path, e.g. the tiled float32 attention), else of ``expected(case)``.
    """

    case: str
    submission_s: float
    engine_s: float

    def sentence(self) -> str:
        ratio = self.submission_s / self.engine_s if self.engine_s > 0 else float("inf")
        return (f"On {self.case}: your function took {self.submission_s:.4f} s, the engine {self.engine_s:.4f} s "
                f"({ratio:.1f}x).")
