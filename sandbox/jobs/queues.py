"""Task and queue names: the one place that says which Celery queue each kind of work goes to.

Each kind of run has a queue of its own so that a backlog of one kind never delays
another: a visitor's demo does not wait behind someone's twenty code runs. A worker
picks its queues with ``celery worker -Q`` (``make run`` takes them all; the compose
file gives code runs a worker of their own). Publishing goes by task *name*, so the
code that enqueues never imports the module that defines the tasks (``sandbox.tasks``
sits on top of the job queue, not inside a loop with it).
"""

from __future__ import annotations

RUN_DEMO_TASK = "sandbox.run_demo"
RUN_CODE_TASK = "sandbox.run_code"
RUN_EXERCISE_TASK = "sandbox.run_exercise"
VALIDATE_EXERCISE_TASK = "sandbox.validate_exercise"
SWEEP_TASK = "sandbox.sweep_runs"

DEMOS = "cpu"  # demos that run anywhere (the queue's historical name, kept so running deployments keep working)
GPU_DEMOS = "gpu"  # demos that prefer a CUDA worker
CODE = "code"  # visitors' snippets, in the sandbox
EXERCISES = "exercises"  # graded submissions and admin edits' validation: the grader on the worker, the code in the sandbox
ALL = (DEMOS, GPU_DEMOS, CODE, EXERCISES)


def task_name(kind: str) -> str:
    from sandbox.jobs.models import Run

    return {
        Run.Kind.DEMO: RUN_DEMO_TASK, Run.Kind.EXERCISE: RUN_EXERCISE_TASK, Run.Kind.VALIDATION: VALIDATE_EXERCISE_TASK,
    }.get(kind, RUN_CODE_TASK)
