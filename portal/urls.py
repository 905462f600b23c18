from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Steward administration"
admin.site.site_title = "Steward"
admin.site.index_title = "Records, users and permissions"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False), name="home"),
    path("admin/", admin.site.urls),
]
