"""Queue a default-parameter run of every demo a question links to, unless one is already measured.

``make setup`` calls this after ``load_bank`` so the first visit to a question
page already shows a measured result (the worker started by ``make run`` picks
the runs up within seconds).
"""

from django.core.management.base import BaseCommand

from engine.demos import UnknownDemoError, get_demo
from engine.environment import ENGINE_VERSION
from questions.models import Question
from sandbox.jobs import dispatch
from sandbox.models import Run
from sandbox.validation import DemoRequest


class Command(BaseCommand):
    help = "Enqueue each linked demo with default parameters when no cached result exists."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="Queue even demos that already have a result.")

    def handle(self, *args, force: bool = False, **options) -> None:
        names = sorted(
            {
                name
                for demos in Question.objects.published().values_list("demos", flat=True)
                for name in demos or []
            }
        )
        queued = cached = 0
        for name in names:
            try:
                demo = get_demo(name)
            except UnknownDemoError:
                self.stderr.write(f"skipping {name!r}: no such demo in the engine")
                continue
            params = demo.validate({})
            if not force and Run.objects.latest_result(demo.name, params, ENGINE_VERSION) is not None:
                cached += 1
                continue
            submission = dispatch.submit(DemoRequest(demo=demo.name, params=params, queue=demo.queue), owner={})
            queued += 1
            if not submission.enqueued:
                self.stderr.write(f"{name}: saved but the broker is down; the sweep will send it later")
        self.stdout.write(f"warm_demos: {queued} queued, {cached} already measured, {len(names)} linked demos")
