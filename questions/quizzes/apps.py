from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "questions.quizzes"
    label = "quizzes"
    verbose_name = "Quizzes and study progress"

    def ready(self) -> None:
        # Connects the receiver that moves an anonymous visitor's quiz history to their account on log-in.
        from questions.quizzes import signals  # noqa: F401
