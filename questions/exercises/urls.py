from django.urls import path

from questions.exercises import api, views

app_name = "exercises"
urlpatterns = [
    path("", views.exercise_list, name="list"),
    path("api/submissions/", api.submit, name="api_submit"),
    path("api/submissions/<uuid:submission_id>/", api.status, name="api_status"),
    path("<slug:slug>/", views.exercise_detail, name="detail"),
    path("<slug:slug>/submit/", views.submit_form, name="submit_form"),
]
