"""Administrators read the outbox, the notices and every raw e-mail received; the services write them."""

from django.contrib import admin

from cases.admin import ReadOnlyAdmin
from correspondence.models import CannedReply, CustomerNotice, InboundEmail, OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = ("subject", "case", "to_address", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "language")
    list_select_related = ("case",)
    search_fields = ("case__reference", "to_address", "subject", "header_message_id")
    date_hierarchy = "created_at"
    exclude = ("body_html",)


@admin.register(CustomerNotice)
class CustomerNoticeAdmin(ReadOnlyAdmin):
    list_display = ("subject", "case", "topic", "channel", "recipient_name", "is_copy", "created_at")
    list_filter = ("channel", "topic", "is_copy", "language")
    list_select_related = ("case",)
    search_fields = ("case__reference", "recipient_name", "subject")
    date_hierarchy = "created_at"


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdmin):
    list_display = ("key", "from_address", "subject", "door", "outcome", "case", "received_at")
    list_filter = ("outcome", "door")
    list_select_related = ("case",)
    search_fields = ("key", "from_address", "subject", "case__reference")
    date_hierarchy = "received_at"


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    """Department leads write the replies their teams start from; staff edit them before sending."""

    list_display = ("title", "department", "language", "is_active", "created_at")
    list_filter = ("is_active", "department", "language")
    list_select_related = ("department",)
    search_fields = ("title", "body")
