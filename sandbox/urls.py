from django.urls import path

from sandbox import api, views

app_name = "sandbox"
urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("<uuid:run_id>/", views.run_detail, name="run_detail"),
    path("api/runs/", api.submit_run, name="api_submit"),
    path("api/runs/<uuid:run_id>/", api.run_status, name="api_run_status"),
    path("api/runs/<uuid:run_id>/cancel/", api.cancel_run, name="api_cancel"),
]
