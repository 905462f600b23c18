"""URLs for tests/test_error_pages.py: two views that crash, and the project's error handlers."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def _crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [
    path("boom/", _crash),
    path("api/boom/", _crash),
    path("", include("portal.urls")),
]

handler403 = "portal.error_views.permission_denied"
handler404 = "portal.error_views.page_not_found"
handler500 = "portal.error_views.server_error"
