"""Sign-in, sign-out and the landing redirect shared by every surface."""

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from portal.landing import landing_url_for


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label=_("E-mail address or username"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("That e-mail address or username and password do not match. Check them and try again."),
        "no_surface": _("This account has no pages in Steward. Ask the person who gave you access."),
    }

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if landing_url_for(user) is None:
            raise forms.ValidationError(self.error_messages["no_surface"], code="no_surface")


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def landing(request: HttpRequest) -> HttpResponse:
    """Send each signed-in person to the first page of their surface."""
    if not request.user.is_authenticated:
        return redirect("login")
    target = landing_url_for(request.user)
    if target is None:
        return redirect("no_surface")
    return redirect(target)
