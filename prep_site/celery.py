"""The one Celery app. Tasks live in the Django apps (sandbox/tasks.py, questions/quizzes/tasks.py)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prep_site.settings")
# Idle OpenMP threads sleep instead of spinning. A worker shares its cores with gunicorn and the other
# worker; a spinning thread then holds a core that the next small parallel region (30 layers x a dozen
# ops per decoded token) waits for. Measured on the 2-core VM at load ~2, SmolLM2-135M float32 decode
# step, 2 torch threads: 247 ms with the default policy, 57 ms with PASSIVE. It must be set before
# torch loads its OpenMP runtime, which is why it lives here (the first module a worker imports);
# an explicit OMP_WAIT_POLICY in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

app = Celery("prep_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
