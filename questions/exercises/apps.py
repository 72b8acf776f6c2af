from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "questions.exercises"
    label = "exercises"
    verbose_name = "Coding exercises"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the receiver that moves an anonymous visitor's submissions to their account on log-in.
        from questions.exercises import signals  # noqa: F401
