"""Reading what Steward told customers: for the pages that report it."""

from django.utils.translation import gettext as _

from cases.models import Message
from correspondence.models import CustomerNotice

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
