from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("prep_site.accounts.urls")),
    path("quiz/", include("questions.quizzes.urls")),
    path("runs/", include("sandbox.urls")),
    path("", include("questions.urls")),
]
