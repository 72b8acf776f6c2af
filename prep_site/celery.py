"""The one Celery app. Tasks live in the Django apps (sandbox/tasks.py, questions/quizzes/tasks.py)."""
import os

from celery import Celery

from engine.runtime import prefer_sleeping_threads

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prep_site.settings")
# Workers share their cores with the web server and each other: see engine/runtime.py. This is the
# first module a worker imports, so it runs before torch loads its OpenMP runtime.
prefer_sleeping_threads()

app = Celery("prep_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
