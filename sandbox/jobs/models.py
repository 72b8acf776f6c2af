"""A Run: one execution of an engine demo or of a visitor's code snippet.

The row is the single source of truth about a run (Celery has no result backend
here): the web process creates it in ``queued``, exactly one worker *claims* it
with a conditional UPDATE, renews a lease while it works, and finishes it with
another conditional UPDATE. Redelivered messages, sweeps and cancellations all
go through those conditional updates, which is what makes every step idempotent.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from sandbox.jobs.cache_keys import params_digest

LOG_LIMIT_CHARS = 20_000  # logs keep their tail: the end of a traceback matters more than its start
LIVE_OUTPUT_CHARS = 8_000  # what a page shows of a running program's output: the newest lines


def strip_nul(value: Any) -> tuple[Any, int]:
    """``value`` without NUL characters in any string (dict keys included), and how many were removed.

    PostgreSQL stores neither NUL in text columns nor ``\\u0000`` in jsonb (SQLite does not mind), and a
    program's output may well contain one: saving it unchanged raised DataError and left the run
    ``running`` until its lease expired, then ran it again.
    """
    if isinstance(value, str):
        count = value.count("\x00")
        return (value.replace("\x00", "") if count else value), count
    if isinstance(value, dict):
        clean, total = {}, 0
        for key, item in value.items():
            key, removed_key = strip_nul(key)
            clean[key], removed = strip_nul(item)
            total += removed_key + removed
        return clean, total
    if isinstance(value, (list, tuple)):
        pairs = [strip_nul(item) for item in value]
        return [item for item, _ in pairs], sum(removed for _, removed in pairs)
    return value, 0


class RunQuerySet(models.QuerySet):
    def active(self) -> RunQuerySet:
        return self.filter(state__in=Run.ACTIVE_STATES)

    def visible_to(self, owner: dict[str, Any], is_staff: bool = False) -> RunQuerySet:
        """Demo runs are public measurements; code and exercise runs belong to whoever submitted them."""
        if is_staff:
            return self
        mine = Q(user_id=owner["user_id"]) if owner.get("user_id") else Q(session_key=owner.get("session_key") or "-")
        return self.filter(Q(kind=Run.Kind.DEMO) | (~Q(kind=Run.Kind.DEMO) & mine))

    def latest_result(
        self, demo: str, params: dict[str, Any], engine_version: str, device: str | None = None
    ) -> Run | None:
        """The newest successful measurement of exactly these parameters on the current engine."""
        runs = self.filter(
            kind=Run.Kind.DEMO,
            demo=demo,
            params_digest=params_digest(params),
            engine_version=engine_version,
            state=Run.State.SUCCEEDED,
        )
        if device:
            runs = runs.filter(device=device)
        return runs.order_by("-finished_at").first()

    def latest_for_demo(self, demo: str, engine_version: str) -> Run | None:
        """Any parameters: what a panel shows when its defaults were never measured."""
        return (
            self.filter(kind=Run.Kind.DEMO, demo=demo, engine_version=engine_version, state=Run.State.SUCCEEDED)
            .order_by("-finished_at")
            .first()
        )

    def claim(self, run_id: uuid.UUID | str, worker: str, lease_seconds: int, max_attempts: int) -> Run | None:
        """Atomically move a run to ``running`` for this worker, or return None.

        Claimable: ``queued`` (and not cancelled), or ``running`` whose lease
        expired (its worker died) with attempts left. A message redelivered for a
        run that already finished, or that a live worker holds, claims nothing.
        """
        now = timezone.now()
        claimable = Q(state=Run.State.QUEUED, cancel_requested=False) | Q(
            state=Run.State.RUNNING, lease_expires_at__lt=now, cancel_requested=False
        )
        updated = (
            self.filter(pk=run_id, attempts__lt=max_attempts)
            .filter(claimable)
            .update(
                state=Run.State.RUNNING,
                started_at=now,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                attempts=F("attempts") + 1,
                worker=worker[:120],
                progress=0,
                progress_message="starting",
                live_output="",  # a re-claimed run starts its output over
            )
        )
        return self.get(pk=run_id) if updated else None


class Run(models.Model):
    class Kind(models.TextChoices):
        DEMO = "demo", "Demo"
        CODE = "code", "Code"
        EXERCISE = "exercise", "Exercise"  # a graded submission: params {"exercise", "mode", "seed"}
        # An admin edit of an exercise, checked before it applies: params {"revision"}
        VALIDATION = "validation", "Exercise validation"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        TIMED_OUT = "timed_out", "Timed out"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATES = (State.QUEUED, State.RUNNING)
    FINAL_STATES = (State.SUCCEEDED, State.FAILED, State.TIMED_OUT, State.CANCELLED)

    # A UUID, not a counter: permalinks of code runs must not be guessable.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    demo = models.CharField(max_length=80, blank=True, db_index=True)
    params = models.JSONField(default=dict, blank=True, help_text="Validated demo parameters.")
    params_digest = models.CharField(max_length=64, blank=True)
    code = models.TextField(blank=True)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    session_key = models.CharField(max_length=40, blank=True, help_text="Owner when not signed in.")
    client_ip = models.GenericIPAddressField(null=True, blank=True)

    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=200, blank=True)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)

    queued_at = models.DateTimeField(default=timezone.now, db_index=True)
    # When the broker last accepted a message for this run; None means it never did (broker down).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    queue = models.CharField(max_length=10, default="cpu")
    task_id = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=120, blank=True)

    engine_version = models.CharField(max_length=20, blank=True)
    device = models.CharField(max_length=20, blank=True)
    cache_key = models.CharField(max_length=64, blank=True, db_index=True)
    result = models.JSONField(null=True, blank=True)
    environment = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, help_text="Shown to the visitor.")
    logs = models.TextField(blank=True, help_text="Progress messages and tracebacks (tail kept).")
    live_output = models.TextField(blank=True, help_text="While running: the newest output so far (tail kept).")

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at"]
        indexes = [
            models.Index(
                fields=["demo", "params_digest", "engine_version", "state", "finished_at"], name="run_cached_result"
            ),
            models.Index(fields=["state", "lease_expires_at"], name="run_state_lease"),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.DEMO:
            what = self.demo
        elif self.kind == self.Kind.EXERCISE:
            what = f"{(self.params or {}).get('exercise', '?')} exercise"
        elif self.kind == self.Kind.VALIDATION:
            what = f"{(self.params or {}).get('exercise', '?')} validation"
        else:
            what = "code"
        return f"{what} run {str(self.id)[:8]} ({self.state})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.kind == self.Kind.DEMO:
            self.params_digest = params_digest(self.params or {})
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("sandbox:run_detail", args=[self.id])

    def get_status_url(self) -> str:
        return reverse("sandbox:api_run_status", args=[self.id])

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES

    @property
    def ordered_params(self) -> list[tuple[str, Any]]:
        """Parameters in the demo's declared order: PostgreSQL's jsonb keeps keys sorted by length instead."""
        from engine.demos import UnknownDemoError, get_demo

        params = self.params or {}
        try:
            declared = [p.name for p in get_demo(self.demo).params]
        except UnknownDemoError:  # a retired demo: its stored order is all there is
            declared = []
        names = [name for name in declared if name in params] + [name for name in params if name not in declared]
        return [(name, params[name]) for name in names]

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    def owned_by(self, owner: dict[str, Any]) -> bool:
        if self.user_id:
            return self.user_id == owner.get("user_id")
        return bool(self.session_key) and self.session_key == owner.get("session_key")

    def finish(self, attempt: int, state: str, **fields: Any) -> bool:
        """Write the outcome, only if this attempt still holds the run (a swept or re-claimed run is not ours)."""
        fields.setdefault("finished_at", timezone.now())
        fields.setdefault("live_output", "")  # the result carries the whole output now
        removed = 0
        for name in ("result", "error", "logs", "progress_message", "environment"):
            if name in fields:
                fields[name], count = strip_nul(fields[name])
                removed += count
        if removed:  # recorded where the visitor and the admin look
            if isinstance(fields.get("result"), dict):
                fields["result"]["nul_characters_removed"] = removed
            note = f"{removed} NUL character(s) removed from the output before saving."
            fields["logs"] = (fields.get("logs", "") + "\n" + note).strip()
        if "logs" in fields:
            fields["logs"] = fields["logs"][-LOG_LIMIT_CHARS:]
        updated = Run.objects.filter(pk=self.pk, state=Run.State.RUNNING, attempts=attempt).update(
            state=state, lease_expires_at=None, **fields
        )
        if updated:
            self.refresh_from_db()
        return bool(updated)
