"""The one Celery app. Tasks live in the Django apps (sandbox/tasks.py, questions/quizzes/tasks.py)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prep_site.settings")

app = Celery("prep_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
