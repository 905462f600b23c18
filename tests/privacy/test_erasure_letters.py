"""Letters to a customer who prefers the post: the PDF goes, a one-line file keeps the notice valid."""

from cases.models import Message
from cases.services import message_reply
from cases.services.privacy import ERASED, customer_erase
from correspondence.models import CustomerNotice
from people.models import Customer


def test_a_letter_is_replaced_by_a_one_line_file(cast, administrator) -> None:
    Customer.objects.filter(pk=cast.customer.pk).update(preferred_channel=Customer.Channel.POST)
    message_reply(actor=cast.owner, case=cast.case, body="Your new router is on its way.", channel=Message.Channel.POST)
    notice = CustomerNotice.objects.get(case=cast.case, channel=CustomerNotice.Channel.LETTER)
    letter, storage = notice.letter.name, notice.letter.storage
    assert storage.exists(letter)

    customer_erase(actor=administrator, customer=cast.customer, force=True)

    notice.refresh_from_db()
    assert not storage.exists(letter)
    assert notice.letter.name != letter and notice.letter.read() == ERASED.encode()
    assert (notice.recipient_name, notice.text) == (ERASED, ERASED)
