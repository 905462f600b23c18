"""What the page header shows: who is signed in and how many flags wait for them."""

from django.http import HttpRequest

from cases import policies, selectors


def header(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    context: dict[str, object] = {"is_staff_member": policies.is_staff_member(user)}
    if context["is_staff_member"]:
        context["is_manager"] = policies.is_manager(user)
        context["open_flag_count"] = selectors.flags_waiting_for(user).count()
    return context
