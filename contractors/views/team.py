"""The company's technicians; its administrators invite new ones, who choose their password
from the link in their invitation."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cases import policies
from contractors import selectors, services
from contractors.forms import InviteForm, add_violation
from contractors.views.access import contractor_page
from portal.errors import NotAllowed, RuleViolation


def _is_company_admin(request: HttpRequest) -> bool:
    return request.user.contractor_profile.is_company_admin


@contractor_page
@require_http_methods(["GET", "POST"])
def team(request: HttpRequest) -> HttpResponse:
    company = policies.contractor_company_of(request.user)
    form = InviteForm(prefix="invite")
    status = 200
    if request.method == "POST":
        if not _is_company_admin(request):
            raise PermissionDenied(_("Only an administrator of your company can invite technicians."))
        form = InviteForm(request.POST, prefix="invite")
        status = 400
        if form.is_valid():
            try:
                member = services.technician_invite(actor=request.user, **form.cleaned_data)
            except NotAllowed as refused:
                raise PermissionDenied(refused.message) from refused
            except RuleViolation as violation:
                add_violation(form, violation)
                status = violation.status_code
            else:
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": member.user.email})
                return redirect("contractor:team")
    context = {
        "company": company,
        "members": selectors.company_members(company),
        "form": form,
        "may_invite": _is_company_admin(request),
    }
    return render(request, "contractor/team.html", context, status=status)


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The invited technician chooses a password; the link works once, for a few days."""

    template_name = "contractor/invitation_accept.html"
    success_url = reverse_lazy("login")
    post_reset_login = False

    def get_user(self, uidb64: str) -> User | None:
        """Invitations are for contractor users only: the link sets no one else's password."""
        user = super().get_user(uidb64)
        return user if user is not None and hasattr(user, "contractor_profile") else None

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        messages.success(self.request, _("Your password is set. Sign in with your e-mail address and it."))
        return super().form_valid(form)
