from django.core.management.base import BaseCommand

from sandbox.jobs.sweep import sweep


class Command(BaseCommand):
    help = "Fail or re-queue runs whose worker died, re-send runs the broker never took, fail runs queued too long."

    def handle(self, *args, **options) -> None:
        report = sweep()
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in report.as_dict().items()))
