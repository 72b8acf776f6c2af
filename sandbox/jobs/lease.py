"""What a worker does while it holds a run: renew the lease, report progress, notice cancellation.

The lease is renewed by a background thread rather than by progress reports,
because a demo may sit in one long torch call without reporting anything; a
dead worker stops renewing and the sweep then knows the run is orphaned.
Progress is written at most every ``PROGRESS_INTERVAL`` seconds so a demo that
reports in a tight loop does not turn into a database benchmark.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from django.db import close_old_connections, connection
from django.utils import timezone

from sandbox.jobs.models import LIVE_OUTPUT_CHARS, LOG_LIMIT_CHARS, Run

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.5
OUTPUT_INTERVAL = 0.5  # live output: about two writes a second, however fast the program prints
CANCEL_POLL = 1.0


class RunCancelled(Exception):
    """Raised inside a demo (from its progress callback) when the visitor cancelled the run."""


class RunLost(Exception):
    """Raised when this worker no longer holds the run (the sweep took it away)."""


class Lease:
    """Context manager held for the whole execution of one claimed run."""

    def __init__(self, run: Run, lease_seconds: int):
        self.run_id = run.pk
        self.attempt = run.attempts
        self.lease_seconds = lease_seconds
        self.cancelled = threading.Event()
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew_loop, name=f"lease-{run.pk}", daemon=True)
        self._last_write = 0.0
        self._last_output_write = 0.0
        self._last_cancel_poll = 0.0
        self._log_lines: list[str] = []
        self._output: list[str] = []

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def should_stop(self) -> bool:
        return self.cancelled.is_set() or self.lost.is_set()

    def poll_should_stop(self) -> bool:
        """For code runs, whose child reports no progress: look for a Cancel at most every CANCEL_POLL s."""
        now = time.monotonic()
        if now - self._last_cancel_poll >= CANCEL_POLL and not self.should_stop:
            self._last_cancel_poll = now
            if self._mine().filter(cancel_requested=True).exists():
                self.cancelled.set()
        return self.should_stop

    def _mine(self):
        return Run.objects.filter(pk=self.run_id, state=Run.State.RUNNING, attempts=self.attempt)

    def _renew_loop(self) -> None:
        try:
            while not self._stop.wait(self.lease_seconds / 3):
                try:
                    close_old_connections()  # this thread's own connection, which may have gone stale
                    self.renew()
                except Exception:  # a locked or restarting database: keep trying, the lease has slack
                    log.warning("could not renew the lease of run %s", self.run_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    def renew(self) -> None:
        renewed = self._mine().update(lease_expires_at=timezone.now() + timedelta(seconds=self.lease_seconds))
        if not renewed:
            self.lost.set()
        elif self._mine().filter(cancel_requested=True).exists():
            self.cancelled.set()

    def progress(self, percent: int, message: str) -> None:
        """The ``progress`` callback handed to demos; also where cancellation reaches them."""
        percent = max(0, min(100, int(percent)))
        message = str(message).replace("\x00", "")[:200]  # PostgreSQL refuses NUL in text
        if message:
            self._log_lines.append(f"{percent:3d}% {message}")
        now = time.monotonic()
        if now - self._last_write >= PROGRESS_INTERVAL or percent >= 100:
            self._last_write = now
            updated = self._mine().update(progress=percent, progress_message=message)
            if not updated:
                self.lost.set()
            elif self._mine().filter(cancel_requested=True).exists():
                self.cancelled.set()
        if self.lost.is_set():
            raise RunLost()
        if self.cancelled.is_set():
            raise RunCancelled()

    def stream_output(self, chunk: str) -> None:
        """The ``on_output`` hook: keep what the program printed so far and show its tail while it runs.

        Writes are throttled to OUTPUT_INTERVAL, so a print in a tight loop costs the database
        two small UPDATEs a second; the final output arrives with the result, so nothing is lost
        when the last chunk falls between two writes.
        """
        self._output.append(str(chunk).replace("\x00", ""))
        now = time.monotonic()
        if now - self._last_output_write < OUTPUT_INTERVAL:
            return
        self._last_output_write = now
        tail = "".join(self._output)[-LIVE_OUTPUT_CHARS:]
        self._output = [tail]
        try:
            if not self._mine().update(live_output=tail):
                self.lost.set()
        except Exception:  # a locked database must not fail the grade: the next write or the result catches up
            log.warning("could not write the live output of run %s", self.run_id, exc_info=True)

    def logs(self) -> str:
        return "\n".join(self._log_lines)[-LOG_LIMIT_CHARS:]
