from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic.base import RedirectView

# The admin says whose it is; "Django administration" reads like an unconfigured install.
admin.site.site_header = "Inference Prep admin"
admin.site.site_title = "Inference Prep admin"
admin.site.index_title = "Question bank, quizzes and runs"
# 404.html and 500.html in templates/ are picked up by Django's default handlers; 500.html needs no context.


class FaviconRedirect(RedirectView):
    """Pages without <link rel="icon"> (the admin) make browsers ask for /favicon.ico.

    The target is looked up per request: with the manifest storage, ``static()`` needs collectstatic's
    manifest, which must not be required just to import the URLconf.
    """

    permanent = True

    def get_redirect_url(self, *args: object, **kwargs: object) -> str:
        return static("favicon.svg")


urlpatterns = [
    path("favicon.ico", FaviconRedirect.as_view()),
    path("admin/", admin.site.urls),
    path("accounts/", include("prep_site.accounts.urls")),
    path("quiz/", include("questions.quizzes.urls")),
    path("runs/", include("sandbox.urls")),
    path("exercises/", include("questions.exercises.urls")),
    path("", include("questions.urls")),
]
