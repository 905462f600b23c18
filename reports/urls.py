"""The reports, mounted at /staff/reports/ (namespace "reports")."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("cases/", views.cases, name="cases"),
    path("<slug:table>.csv", views.table_csv, name="table_csv"),
]
