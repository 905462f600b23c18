"""What the page header shows: who is signed in, how many flags wait for them, the service alerts
under way (to staff), and (to managers) whether the watchers have stopped running."""

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from cases import policies, selectors
from cases.watchers.liveness import watcher_liveness


def header(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    context: dict[str, object] = {
        "is_staff_member": policies.is_staff_member(user),
        "can_view_reports": policies.can_view_reports(user),
    }
    if context["is_staff_member"]:
        context["is_manager"] = policies.is_manager(user)
        context["open_flag_count"] = selectors.flags_waiting_for(user).count()
        context["active_alerts"] = SimpleLazyObject(lambda: _active_alerts(request))
        context["active_alerts_shown"] = selectors.ACTIVE_ALERTS_SHOWN
        if context["is_manager"]:
            context.update(_watchers_banner())
    return context


def _watchers_banner() -> dict[str, object]:
    """A fresh database (development, tests) has no run at all yet: no banner until the first one;
    /health/watchers/ is the place that reports watchers that never ran."""
    now = timezone.now()
    liveness = watcher_liveness(now=now)
    if not (liveness.is_stale and liveness.ever_ran):
        return {}
    since = liveness.stale_since
    return {
        "watchers_stale": True,
        "watchers_stale_since": since,
        "watchers_stale_today": since is not None and timezone.localdate(since) == timezone.localdate(now),
    }


def _active_alerts(request: HttpRequest) -> list[object]:
    """Read once per request however many templates render it (a page and its fragments), and
    only by a page that shows the banner."""
    cached = getattr(request, "_active_alerts", None)
    if cached is None:
        cached = selectors.alerts_active()
        request._active_alerts = cached  # type: ignore[attr-defined]
    return cached
