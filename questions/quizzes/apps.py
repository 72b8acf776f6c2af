from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "questions.quizzes"
    label = "quizzes"
    verbose_name = "Quizzes and study progress"
