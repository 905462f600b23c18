"""The customer self-service pages, mounted at /my/ (namespace "my"), and the password reset
by e-mail that every sign-in shares (also the link a newly invited helper follows)."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from selfservice.forms import ChoosePasswordForm, ResetRequestForm
from selfservice.views import actions, helpers, pages, requests

app_name = "my"

case = "cases/<str:reference>/"

urlpatterns = [
    path("", pages.my_cases, name="cases"),
    path("new/", requests.new_request, name="new_request"),
    path("helpers/", helpers.helpers, name="helpers"),
    path("helpers/<int:pk>/remove/", helpers.helper_remove, name="helper_remove"),
    path("helping/<int:customer_id>/copies/", helpers.copies, name="copies"),
    path(case, pages.case_detail, name="case"),
    path(case + "claims/<int:pk>/", pages.claim_detail, name="claim"),
    path(case + "files/<int:pk>/", pages.attachment_download, name="attachment"),
    path(case + "write/", actions.write, name="write"),
    path(case + "call-me-back/", actions.call_me_back, name="call_me_back"),
    path(case + "fixed/", actions.fixed, name="fixed"),
    path(case + "not-fixed/", actions.not_fixed, name="not_fixed"),
    path(case + "rating/", actions.rate, name="rate"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="registration/password_reset_form.html",
            form_class=ResetRequestForm,
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
            success_url=reverse_lazy("my:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_reset_confirm.html",
            form_class=ChoosePasswordForm,
            success_url=reverse_lazy("my:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
