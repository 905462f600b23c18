"""The staff browser pages, mounted at /staff/ (namespace "staff")."""

from django.urls import path

from staff.views import (
    alerts,
    case_actions,
    case_page,
    edits,
    files,
    flags,
    handoff,
    intake,
    job_actions,
    job_request,
    notifications,
    sales,
    search,
    team,
    worklist,
)

app_name = "staff"

case = "cases/<str:reference>/"

urlpatterns = [
    path("", worklist.worklist, name="worklist"),
    path("flags/", flags.flags, name="flags"),
    path("flags/<int:pk>/acknowledge/", flags.flag_acknowledge, name="flag_acknowledge"),
    path("flags/<int:pk>/dismiss/", flags.flag_dismiss, name="flag_dismiss"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
    path("team/", team.team, name="team"),
    path("attachments/<int:pk>/", files.attachment, name="attachment"),
    path("letters/<int:pk>/", files.letter, name="letter"),
    path("search/", search.search, name="search"),
    path("intake/", intake.intake, name="intake"),
    path("intake/matches/", intake.intake_matches, name="intake_matches"),
    path("alerts/", alerts.alerts, name="alerts"),
    path("alerts/<int:pk>/edit/", alerts.alert_edit, name="alert_edit"),
    path("alerts/<int:pk>/end/", alerts.alert_end, name="alert_end"),
    path(case, case_page.case_detail, name="case"),
    path(case + "timeline/", case_page.case_timeline, name="case_timeline"),
    path(case + "reply/", case_actions.reply, name="case_reply"),
    path(case + "note/", case_actions.note, name="case_note"),
    path(case + "call/", case_actions.call, name="case_call"),
    path(case + "promises/", case_actions.promise_make, name="promise_make"),
    path(case + "promises/<int:pk>/settle/", case_actions.promise_settle, name="promise_settle"),
    path(case + "resolve/", case_actions.resolve, name="case_resolve"),
    path(case + "status/", case_actions.set_status, name="case_status"),
    path(case + "alerts/", case_actions.link_alert, name="case_link_alert"),
    path(case + "claims/", case_actions.claim_file, name="claim_file"),
    path(case + "claims/<int:pk>/", case_actions.claim_update, name="claim_update"),
    path(case + "sales/", sales.sale_record, name="sale_record"),
    path(case + "sales/<int:pk>/", sales.sale_update, name="sale_update"),
    path(case + "jobs/", job_request.job_request, name="job_request"),
    path(case + "prerequisites/<int:pk>/done/", job_request.prerequisite_done, name="prerequisite_done"),
    path(case + "jobs/<int:pk>/schedule/", job_actions.job_schedule, name="job_schedule"),
    path(case + "jobs/<int:pk>/cancel/", job_actions.job_cancel, name="job_cancel"),
    path(case + "jobs/<int:pk>/complete/", job_actions.job_complete, name="job_complete"),
    path(case + "incidents/<int:pk>/repair/", job_actions.incident_plan_repair, name="incident_repair"),
    path(case + "handoff/", handoff.handoff, name="case_handoff"),
    path(case + "handoffs/<int:pk>/acknowledge/", handoff.handoff_acknowledge, name="handoff_acknowledge"),
    path(case + "edit/", edits.case_edit, name="case_edit"),
    path(case + "customer/", edits.customer_edit, name="customer_edit"),
    path(case + "specialists/", edits.specialist_add, name="specialist_add"),
    path(case + "specialists/<int:user_id>/remove/", edits.specialist_remove, name="specialist_remove"),
]
