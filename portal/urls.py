from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from portal import health, preferences_views, two_factor_views, views

admin.site.site_header = _("Steward administration")
admin.site.site_title = "Steward"
admin.site.index_title = _("Records, users and permissions")

urlpatterns = [
    path("", views.landing, name="landing"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-step/", two_factor_views.setup, name="two_factor_setup"),
    path("two-step/code/", two_factor_views.verify, name="two_factor_verify"),
    path("language/", preferences_views.language_switch, name="language_switch"),
    path("preferences/", preferences_views.preferences, name="preferences"),
    path(
        "no-access/",
        TemplateView.as_view(template_name="registration/no_surface.html"),
        name="no_surface",
    ),
    path("health/", health.liveness, name="health_live"),
    path("health/ready/", health.readiness, name="health_ready"),
    path("health/watchers/", health.watchers_health, name="health_watchers"),
    path("admin/", admin.site.urls),
    path("staff/reports/", include("reports.urls")),
    path("staff/", include("staff.urls")),
    path("contractor/", include("contractors.urls")),
    path("my/", include("selfservice.urls")),
    path("api/v1/", include("api.urls")),
]

handler403 = "portal.error_views.permission_denied"
handler404 = "portal.error_views.page_not_found"
handler500 = "portal.error_views.server_error"
