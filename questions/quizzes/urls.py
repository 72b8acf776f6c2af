from django.urls import path

from questions.quizzes import api, views

app_name = "quizzes"
urlpatterns = [
    path("", views.index, name="index"),
    path("start/", views.start_custom, name="start"),
    path("start/<slug:key>/", views.start_preset, name="start_preset"),
    path("a/<uuid:attempt_id>/", views.take, name="take"),
    path("a/<uuid:attempt_id>/submit/", views.submit, name="submit"),
    path("a/<uuid:attempt_id>/results/", views.results, name="results"),
    path("a/<uuid:attempt_id>/self-grade/", views.self_grade, name="self_grade"),
    path("a/<uuid:attempt_id>/retry/", views.retry, name="retry"),
    path("history/", views.history, name="history"),
    path("review/", views.review_queue, name="review"),
    path("review/<int:card_id>/grade/", views.grade, name="grade"),
    path("rate/<int:question_id>/", views.rate, name="rate"),
    # JSON API. <str:> rather than <uuid:> so a malformed id gets a JSON 404, not an HTML one.
    path("api/presets/", api.preset_list, name="api_presets"),
    path("api/attempts/", api.start, name="api_start"),
    path("api/attempts/<str:attempt_id>/", api.attempt, name="api_attempt"),
    path("api/attempts/<str:attempt_id>/answers/", api.save, name="api_save"),
    path("api/attempts/<str:attempt_id>/finish/", api.finish, name="api_finish"),
    path("api/attempts/<str:attempt_id>/results/", api.results, name="api_results"),
    path("api/attempts/<str:attempt_id>/self-grade/", api.self_grade, name="api_self_grade"),
]
