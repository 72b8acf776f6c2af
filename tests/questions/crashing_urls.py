"""A URLconf with one view that raises, so the 500 page can be tested through the real handler."""
from django.urls import path


def boom(request):
    raise RuntimeError("deliberate failure for the 500-page test")


urlpatterns = [path("boom/", boom)]
