"""Django finds an app's models in ``<app>.models``; the run model lives with the job queue it belongs to."""

from sandbox.jobs.models import LOG_LIMIT_CHARS, Run, RunQuerySet

__all__ = ["LOG_LIMIT_CHARS", "Run", "RunQuerySet"]
