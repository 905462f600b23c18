"""The other stories of DESIGN.md section 1, replayed through the services, and the loader
that builds the cast and plays every story in one transaction."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from cases import policies
from cases.demo.cast import FIBRE_CUSTOMER_EMAIL, Cast, build_cast
from cases.demo.clock import Calendar, clock_at
from cases.demo.fibre import FibreStory, replay_fibre
from cases.models import Case, Flag, Handoff, Message, Promise, ServiceAlert, TimelineDepartment
from cases.services import (
    alert_post,
    call_log,
    case_close,
    case_confirm,
    case_handoff,
    case_link_alert,
    case_open,
    case_resolve,
    case_send_confirmation_reminder,
    flag_acknowledge,
    handoff_acknowledge,
    message_receive,
    message_reply,
    note_add,
    promise_keep,
    promise_make,
    survey_submit,
)
from contractors.services import job_request, job_schedule
from people.models import Customer
from portal.errors import RuleViolation

MAIL_ALERT_TITLE = "Mail server migration in Lyon 3e"


@dataclass
class Stories:
    fibre: FibreStory
    mail_alert: ServiceAlert
    unconfirmed: Case
    refused_close: str
    warm_transfer: Case
    survey_case: Case
    sales_referral: Case


def demo_is_loaded() -> bool:
    return Customer.objects.filter(email=FIBRE_CUSTOMER_EMAIL).exists()


def _fresh(case: Case) -> Case:
    return Case.objects.select_related("owner", "customer").get(pk=case.pk)


def _mail_customer_writes(cast: Cast, cal: Calendar, alert: ServiceAlert) -> None:
    """Omar writes on the portal, Victor by e-mail; the agent answers with the alert in hand."""
    lucas, email = cast.staff["lucas"], cast.services["email"]
    omar = cast.customers["omar"]
    with clock_at(cal.days_ago(2, "08:10")):
        case = case_open(
            actor=omar.user, customer=omar, owner=lucas, subject="Cannot send e-mail since this morning", service=email
        )
        message_receive(
            actor=omar.user,
            case=case,
            channel=Message.Channel.PORTAL,
            body="My e-mails stay in the outbox since 7 this morning. I restarted everything twice.",
        )
    with clock_at(cal.days_ago(2, "08:40")):
        message_reply(
            actor=lucas,
            case=_fresh(case),
            channel=Message.Channel.PORTAL,
            body="Nothing is wrong with your computer: our mail server is being moved tonight and "
            "this morning. Your settings stay the same and sending works again by tomorrow 6:00.",
        )
        case_link_alert(actor=lucas, case=case, alert=alert)
    victor = cast.customers["victor"]
    with clock_at(cal.days_ago(2, "10:15")):
        case = case_open(
            actor=None, customer=victor, owner=lucas, subject="Outlook says the server is not responding", service=email
        )
        message_receive(
            case=case,
            channel=Message.Channel.EMAIL,
            sender_label=f"Victor Roussel <{victor.email}>",
            external_id="demo-mail-victor-1",
            body="Since this morning Outlook says the server is not responding. Is it my computer?",
        )
    with clock_at(cal.days_ago(2, "10:50")):
        message_reply(
            actor=lucas,
            case=_fresh(case),
            body="It is not your computer: the mail server is under planned maintenance until tomorrow "
            "6:00. You do not need to change anything.",
        )
        case_link_alert(actor=lucas, case=case, alert=alert)


def _mail_customers_call(cast: Cast, cal: Calendar, alert: ServiceAlert) -> None:
    """Lucie phones and is told at once; Aïcha's fresh e-mail is not linked yet, but her
    case is in the alert's service and area, so the alert shows on it anyway."""
    emma, email = cast.staff["emma"], cast.services["email"]
    with clock_at(cal.days_ago(2, "09:05")):
        case = case_open(
            actor=emma,
            customer=cast.customers["lucie"],
            owner=emma,
            subject="E-mail stopped on my phone and tablet",
            service=email,
        )
        call_log(
            actor=emma,
            case=case,
            inbound=True,
            summary="Mrs Fabre called: no e-mail on her phone or tablet since this morning. Told her about the "
            "mail server maintenance; nothing to change on her devices; it ends tomorrow at 6:00.",
        )
        case_link_alert(actor=emma, case=case, alert=alert)
    with clock_at(cal.hours_ago(5)):
        aicha = cast.customers["aicha"]
        case = case_open(actor=None, customer=aicha, owner=emma, subject="No new e-mail since yesterday", service=email)
        message_receive(
            case=case,
            channel=Message.Channel.EMAIL,
            sender_label=f"Aïcha Traoré <{aicha.email}>",
            external_id="demo-mail-aicha-1",
            body="I have received no e-mail since yesterday evening. Has my account been closed?",
        )


def replay_mail_alert(cast: Cast, cal: Calendar) -> ServiceAlert:
    """The ISP story: this time the maintenance is posted, and agents see it on every case."""
    with clock_at(cal.days_ago(3, "17:30")):
        alert = alert_post(
            actor=cast.staff["julien"],
            service=cast.services["email"],
            kind=ServiceAlert.Kind.MAINTENANCE,
            title=MAIL_ALERT_TITLE,
            area="69003",
            description="The mail server moves to new hardware. Sending and receiving may fail; customers do not "
            "need to change any setting. Do not walk them through their own computer.",
            starts_at=cal.days_ago(2, "06:00"),
            ends_at=cal.on(cal.today + timedelta(days=1), "06:00"),
        )
    _mail_customer_writes(cast, cal, alert)
    _mail_customers_call(cast, cal, alert)
    return alert


def _fix_promised(cast: Cast, cal: Calendar) -> tuple[Case, Promise]:
    sophie, gerard = cast.staff["sophie"], cast.customers["gerard"]
    with clock_at(cal.days_ago(75, "18:20")):
        case = case_open(
            actor=gerard.user,
            customer=gerard,
            owner=sophie,
            service=cast.services["router"],
            subject="Router restarts every evening around 20:00",
        )
        message_receive(
            actor=gerard.user,
            case=case,
            channel=Message.Channel.PORTAL,
            body="Every evening around 20:00 the router restarts and we lose TV and internet for five minutes.",
        )
    with clock_at(cal.days_ago(74, "10:00")):
        message_reply(
            actor=sophie,
            case=_fresh(case),
            body="Our engineers reproduced it: it is a firmware bug. The fix will be in the November "
            "version of the router firmware, which installs itself overnight.",
        )
        fix = promise_make(
            actor=sophie,
            case=_fresh(case),
            kind=Promise.Kind.FIX,
            text="The fix for the evening restarts ships in the November firmware version",
            due_at=cal.days_ago(7, "18:00"),
        )
    return case, fix


def _close_refused(cast: Cast, cal: Calendar, case: Case) -> str:
    """Try the bad close of the vendor story: Steward says no, and the owner notes it."""
    sophie = cast.staff["sophie"]
    with clock_at(cal.hours_ago(1)):
        try:
            case_close(actor=sophie, case=case)
        except RuleViolation as refused:
            refusal = refused.message
        else:
            raise RuntimeError("case_close closed a case the customer had not confirmed (invariant 3)")
        note_add(
            actor=sophie,
            case=_fresh(case),
            body=f"Tried to close the case; Steward refused: {refusal} It stays resolved until Mr Lambert "
            "confirms, says it is not fixed, or the window ends.",
        )
    return refusal


def replay_unconfirmed_fix(cast: Cast, cal: Calendar) -> tuple[Case, str]:
    """The vendor story: "fixed in the November version". Resolved and reminded, the case
    waits for Mr Lambert; closing it without him is refused."""
    sophie = cast.staff["sophie"]
    case, fix = _fix_promised(cast, cal)
    with clock_at(cal.days_ago(8, "09:00")):
        promise_keep(actor=sophie, promise=fix, note="Firmware 4.12, the November version, lists the fix.")
    with clock_at(cal.days_ago(6, "09:30")):
        case_resolve(
            actor=sophie,
            case=case,
            summary="The November firmware (4.12) fixes the evening restarts; your router installed it.",
        )
    with clock_at(cal.days_ago(1, "10:00")):
        case_send_confirmation_reminder(case=case)
    refusal = _close_refused(cast, cal, case)
    return _fresh(case), refusal


def _moving_call_handed_off(cast: Cast, cal: Calendar) -> tuple[Case, Handoff]:
    lucas, fatou, nadia = cast.staff["lucas"], cast.staff["fatou"], cast.customers["nadia"]
    with clock_at(cal.days_ago(3, "09:15")):
        case = case_open(
            actor=lucas,
            customer=nadia,
            owner=lucas,
            service=cast.services["fibre"],
            subject="Moving house: keep fibre and landline at the new address",
        )
        call_log(
            actor=lucas,
            case=case,
            inbound=True,
            summary="Mrs Benali moves on the 1st to 14 rue Chevreul, 69007 Lyon (3rd floor, building manager "
            "Mr Roche). She wants to keep her phone number. Identity checked.",
        )
    with clock_at(cal.days_ago(3, "09:40")):
        handoff = case_handoff(
            actor=lucas,
            case=_fresh(case),
            to_user=fatou,
            expected_owner=lucas,
            reason="The new address needs an installation visit",
            summary="Identity checked; do not ask again. Moving on the 1st to 14 rue Chevreul, 69007 Lyon, 3rd "
            "floor; building manager Mr Roche keeps the basement key. Keep her landline number (porting "
            "requested). She works mornings: call after 10:00 on her mobile. Nothing else is open.",
        )
    return case, handoff


def replay_warm_transfer(cast: Cast, cal: Calendar) -> Case:
    """Nadia moves house: support hands her to field operations with everything on screen,
    and the callback is made on time."""
    fatou = cast.staff["fatou"]
    case, handoff = _moving_call_handed_off(cast, cal)
    with clock_at(cal.days_ago(3, "10:05")):
        handoff_acknowledge(actor=fatou, handoff=handoff)
        callback = promise_make(
            actor=fatou,
            case=_fresh(case),
            kind=Promise.Kind.CALLBACK,
            text="I'll call you tomorrow at 10:00 to confirm the installation date",
            due_at=cal.days_ago(2, "10:00"),
        )
    with clock_at(cal.days_ago(2, "09:58")):
        call_log(
            actor=fatou,
            case=_fresh(case),
            inbound=False,
            summary="Installation booked with Lumière Câblage; Mr Roche will open the basement.",
        )
        job = job_request(
            actor=fatou,
            case=case,
            company=cast.companies["lumiere"],
            title="Fibre installation at the new address",
            prerequisites=[("Building manager opens the basement for the technician", "customer")],
        )
        visit = cal.on(cal.working_day(cal.today + timedelta(days=5)), "08:00")
        job_schedule(
            actor=fatou,
            job=job,
            window_start=visit,
            window_end=visit + timedelta(hours=4),
            technician=cast.contractors["lea"],
        )
        promise_keep(actor=fatou, promise=callback, note="Called at 9:58 with the date.")
    return _fresh(case)


def _support_case_confirmed(cast: Cast, cal: Calendar) -> Case:
    emma, henri = cast.staff["emma"], cast.customers["henri"]
    with clock_at(cal.days_ago(12, "14:00")):
        case = case_open(
            actor=emma,
            customer=henri,
            owner=emma,
            service=cast.services["router"],
            subject="Wi-Fi too slow upstairs in the evening",
        )
        call_log(
            actor=emma,
            case=case,
            inbound=True,
            summary="Mr Dubois works from home upstairs; the Wi-Fi falls to 5 Mb/s there in the evening.",
        )
    with clock_at(cal.days_ago(11, "10:00")):
        message_reply(
            actor=emma,
            case=_fresh(case),
            body="As agreed on the phone, a Wi-Fi repeater is on its way; plug it in on the landing.",
        )
    with clock_at(cal.days_ago(6, "11:00")):
        case_resolve(actor=emma, case=case, summary="Wi-Fi repeater installed; 300 Mb/s measured upstairs.")
    with clock_at(cal.days_ago(5, "19:00")):
        case_confirm(actor=henri.user, case=case)
    with clock_at(cal.days_ago(1, "20:15")):
        survey_submit(
            actor=henri.user,
            case=_fresh(case),
            score=5,
            wants_contact=True,
            comment="Emma stayed with it until it worked. I now work from home full time: I'd like to "
            "talk about a faster plan.",
        )
    return _fresh(case)


def replay_support_to_sales(cast: Cast, cal: Calendar) -> tuple[Case, Case]:
    """A satisfied support customer wants to talk to sales: the survey reaches his owner,
    who hands a new sales case to an advisor with the whole story."""
    emma, samir, henri = cast.staff["emma"], cast.staff["samir"], cast.customers["henri"]
    support_case = _support_case_confirmed(cast, cal)
    with clock_at(cal.hours_ago(3)):
        request = Flag.objects.get(case=support_case, kind=Flag.Kind.CONTACT_REQUEST, cleared_at__isnull=True)
        flag_acknowledge(flag=request, actor=emma)
        sales_case = case_open(
            actor=emma,
            customer=henri,
            owner=emma,
            service=cast.services["fibre"],
            department=TimelineDepartment.SALES,
            subject="Faster plan for a home office",
            description=f"Asked for in his survey on {support_case.reference}.",
        )
        case_handoff(
            actor=emma,
            case=sales_case,
            to_user=samir,
            expected_owner=emma,
            reason="Mr Dubois wants to talk about a faster plan",
            summary=f"Happy customer (Wi-Fi case {support_case.reference} fixed and confirmed, survey 5/5). He now "
            "works from home full time and asks about Fibre 2 Gb/s and a business line. Call his mobile after "
            "18:00. He does not want another router visit unless it is needed.",
        )
        note_add(
            actor=emma,
            case=support_case,
            body=f"Survey request passed to Samir Haddad (Sales) on {sales_case.reference}.",
        )
    return support_case, _fresh(sales_case)


@transaction.atomic
def load_stories(*, now: datetime | None = None) -> Stories:
    """Build the cast and replay every story; one transaction, so a failure leaves nothing."""
    cal = Calendar(now or timezone.now())
    cast = build_cast(since=cal.days_ago(90, "09:00"))
    fibre = replay_fibre(cast, cal)
    alert = replay_mail_alert(cast, cal)
    unconfirmed, refusal = replay_unconfirmed_fix(cast, cal)
    warm = replay_warm_transfer(cast, cal)
    survey_case, sales_case = replay_support_to_sales(cast, cal)
    _calls_made_and_letters_posted(cal)
    return Stories(fibre, alert, unconfirmed, refusal, warm, survey_case, sales_case)


def _calls_made_and_letters_posted(cal: Calendar) -> None:
    """Telling the phone and post customers made call and letter tasks all along the stories; their
    owners did them within the hour, so the demo opens on today's work, not on months of overdue
    tasks. Tasks still due in the future stay open."""
    done = (
        Promise.objects.filter(
            kind__in=[Promise.Kind.CALL_TASK, Promise.Kind.LETTER_TASK],
            status=Promise.Status.OPEN,
            due_at__lte=cal.now,
        )
        .select_related("case", "made_by")
        .order_by("created_at", "pk")
    )
    for task in done:
        latest = Case.objects.values_list("last_activity_at", flat=True).get(pk=task.case_id)
        with clock_at(min(task.created_at + timedelta(hours=1), cal.now)):
            note = "Called, told them." if task.kind == Promise.Kind.CALL_TASK else "Letter posted."
            # The owner who owed it, or whoever owns the case now if it changed hands since.
            actor = task.made_by if policies.can_work_on_case(task.made_by, task.case) else task.case.owner
            promise_keep(actor=actor, promise=task, note=note)
        # Keeping it later in the replay must not make the case look less recently active than it was.
        Case.objects.filter(pk=task.case_id, last_activity_at__lt=latest).update(last_activity_at=latest)
