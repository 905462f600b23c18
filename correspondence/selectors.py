"""Reading what Steward told customers, and the canned replies staff start a reply from."""

from django.db.models import Q
from django.utils.translation import gettext as _

from cases.models import Case, Message, Promise
from cases.services.timeline import person_name
from correspondence.models import CannedReply, CustomerNotice

Channel = CustomerNotice.Channel


def reply_outcome(message: Message) -> str:
    """What happened to a staff reply, in the words the member of staff sees after sending it."""
    notice = (
        CustomerNotice.objects.filter(case_id=message.case_id, subject_key=f"message:{message.pk}", is_copy=False)
        .order_by("pk")
        .first()
    )
    if notice is None:
        return _("Your reply is recorded on the case.")
    name = notice.recipient_name
    if notice.channel == Channel.EMAIL:
        return _("Your reply is on its way to %(name)s by e-mail.") % {"name": name}
    if notice.channel == Channel.PORTAL_NOTICE:
        return _("Your reply is on %(name)s's page; an e-mail tells them it is waiting.") % {"name": name}
    if notice.channel == Channel.CALL_TASK:
        return _("Your reply is saved. %(name)s prefers the phone: a call task is on the case for you.") % {
            "name": name
        }
    if notice.channel == Channel.LETTER:
        return _("Your reply is saved and a letter to %(name)s is ready to print and post from the case.") % {
            "name": name
        }
    return _("Your reply is on %(name)s's page; we have no address to write to them.") % {"name": name}


def canned_replies_for(case: Case) -> list[CannedReply]:
    """The canned replies offered on this case: the owner's department's and everyone's, those in
    the customer's language first."""
    department_id = getattr(getattr(case.owner, "staff_profile", None), "department_id", None)
    offered = CannedReply.objects.filter(is_active=True).filter(
        Q(department__isnull=True) | Q(department_id=department_id)
    )
    language = case.customer.language
    return sorted(
        offered, key=lambda reply: (reply.language not in ("", language), reply.language != language, reply.title)
    )


def canned_reply_text(reply: CannedReply, case: Case) -> str:
    """The reply's text with its placeholders filled in for the case. Only the four known names are
    replaced (never str.format on staff-written text, which could reach attributes)."""
    next_promise = (
        case.promises.filter(status=Promise.Status.OPEN, owed_to_customer=True).order_by("due_at", "pk").first()
    )
    values = {
        "{customer_name}": case.customer.full_name,
        "{owner_name}": person_name(case.owner),
        "{case_reference}": case.reference,
        "{next_promise}": next_promise.text if next_promise else "",
    }
    text = reply.body
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text
