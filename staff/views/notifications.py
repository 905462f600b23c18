"""The in-app list of notifications: each flag that reached me, newest first; the flags of one
case escalated together as one entry."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from cases import notifications
from staff.views.access import query_with, staff_page

PAGE_SIZE = 50


@staff_page
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    about = request.GET.get("flag", "")
    # Reached from a flag's row: only what was said about that flag.
    items = notifications.notifications_for(request.user, flag_id=int(about) if about.isdigit() else None)
    before = request.GET.get("before", "")
    if before.isdigit():
        items = items.filter(pk__lt=int(before))
    page = list(items.order_by("-pk")[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    context = {
        "notifications": page,
        "about_flag": about.isdigit(),
        "unread": sum(1 for item in page if item.read_at is None),
        "older_url": query_with(request, before=str(page[-1].pk)) if more else None,
    }
    return render(request, "staff/notifications.html", context)


@staff_page
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    count = notifications.notifications_mark_all_read(actor=request.user)
    messages.success(
        request,
        ngettext("%(count)d notification marked as read.", "%(count)d notifications marked as read.", count)
        % {"count": count},
    )
    return redirect("staff:notifications")
