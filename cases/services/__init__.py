"""The service layer: the only writers of case records. Import from here.

Every function is keyword-only, takes the acting user, validates, writes in one
transaction together with its timeline events, and raises portal.errors.RuleViolation
(or NotAllowed / Conflict) with a clear message when a rule says no.
"""

from cases.services.access import delegate_grant, delegate_revoke, specialist_add, specialist_remove
from cases.services.alerts import alert_end, alert_link_incident, alert_post, alert_update, case_link_alert
from cases.services.claims import claim_file, claim_update
from cases.services.edits import case_edit, customer_edit
from cases.services.flags import flag_acknowledge, flag_dismiss, flag_escalate, flag_raise, flags_clear
from cases.services.handoff import case_handoff, handoff_acknowledge
from cases.services.intake import case_intake, customer_create
from cases.services.lifecycle import (
    case_close,
    case_confirm,
    case_open,
    case_reject_resolution,
    case_reopen,
    case_resolve,
    case_send_confirmation_reminder,
    case_set_status,
)
from cases.services.merge import case_merge, customer_merge
from cases.services.messages import call_log, message_receive, message_reply, messages_mark_read, note_add
from cases.services.promises import promise_break, promise_keep, promise_make, promise_withdraw
from cases.services.sales import sale_record, sale_update
from cases.services.staff import staff_deactivate
from cases.services.surveys import survey_pass_to_sales, survey_submit

__all__ = [
    "alert_end",
    "alert_link_incident",
    "alert_post",
    "alert_update",
    "call_log",
    "case_close",
    "case_confirm",
    "case_edit",
    "case_handoff",
    "case_intake",
    "case_link_alert",
    "case_merge",
    "case_open",
    "case_reject_resolution",
    "case_reopen",
    "case_resolve",
    "case_send_confirmation_reminder",
    "case_set_status",
    "claim_file",
    "claim_update",
    "customer_create",
    "customer_edit",
    "customer_merge",
    "delegate_grant",
    "delegate_revoke",
    "flag_acknowledge",
    "flag_dismiss",
    "flag_escalate",
    "flag_raise",
    "flags_clear",
    "handoff_acknowledge",
    "message_receive",
    "message_reply",
    "messages_mark_read",
    "note_add",
    "promise_break",
    "promise_keep",
    "promise_make",
    "promise_withdraw",
    "sale_record",
    "sale_update",
    "specialist_add",
    "specialist_remove",
    "staff_deactivate",
    "survey_pass_to_sales",
    "survey_submit",
]
