"""The first story of DESIGN.md: Mrs Martin's fibre installation, replayed through the services.

Sold by a sales advisor; two visits cancelled because the operator had not connected the
street cabinet; handed warmly to customer relations; a third visit started anyway, a heating
pipe drilled, "we'll be back Monday" promised by the technician and not kept; two insurers
each pointing at the other; and her son's e-mails left unanswered. Steward flags each step.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from cases.demo.cast import Cast
from cases.demo.clock import Calendar, clock_at
from cases.models import Case, Handoff, InsuranceClaim, Message, Promise, TimelineDepartment
from cases.services import (
    call_log,
    case_handoff,
    case_open,
    case_set_status,
    claim_file,
    claim_update,
    delegate_grant,
    handoff_acknowledge,
    message_receive,
    note_add,
    promise_keep,
    promise_make,
    sale_record,
    specialist_add,
)
from contractors.models import Job
from contractors.services import (
    incident_report,
    job_cancel,
    job_fail,
    job_request,
    job_schedule,
    job_update_status,
)

BACK_MONDAY = "We'll be back Monday with two workers to repair the pipe and finish the installation"
HANDOFF_SUMMARY = (
    "Mrs Jeanne Martin, 89, lives alone and is not at ease with computers: call her, do not e-mail her. "
    "Her son Paul is her authorised delegate and often answers for her.\n"
    "Sold: Fibre 1 Gb/s with landline. FibreCo came twice and cancelled both visits because the operator "
    "has not connected the street cabinet (prerequisite still open). Nobody has told her when it will be done; "
    "she has taken two mornings off her week waiting for them.\n"
    "What she needs: one person who chases the operator, tells her the real date, and calls her back when "
    "promised. She has been told your name today."
)


@dataclass
class FibreStory:
    case: Case
    job: Job
    handoff: Handoff
    back_monday: Promise
    claims: list[InsuranceClaim]
    unanswered: list[Message]


def _fresh(case: Case) -> Case:
    return Case.objects.select_related("owner", "customer").get(pk=case.pk)


def _sale(cast: Cast, cal: Calendar) -> Case:
    samir = cast.staff["samir"]
    with clock_at(cal.monday_plus(-62, "10:00")):
        case = case_open(
            actor=samir,
            customer=cast.customers["jeanne"],
            owner=samir,
            subject="Fibre broadband installation",
            description="Fibre 1 Gb/s with her landline moved onto it, sold on the phone with her son present.",
            priority=Case.Priority.HIGH,
            human_impact="89 and alone at home: the landline is how she reaches her family",
            service=cast.services["fibre"],
            department=TimelineDepartment.SALES,
        )
        sale_record(
            actor=samir,
            case=case,
            product="Fibre 1 Gb/s with landline",
            advisor=samir,
            plan="Fibre Essentiel, 24 months",
            monthly_price=Decimal("34.99"),
            pending_offers="TV option at half price for 6 months; she will decide once the fibre works.",
        )
    with clock_at(cal.monday_plus(-62, "10:20")):
        delegate_grant(actor=samir, customer=cast.customers["jeanne"], user=cast.delegate, relationship="son")
    return case


def _two_cancelled_visits(cast: Cast, cal: Calendar, case: Case) -> Job:
    samir, thierry = cast.staff["samir"], cast.contractors["thierry"]
    with clock_at(cal.monday_plus(-61, "09:00")):
        job = job_request(
            actor=samir,
            case=case,
            company=cast.companies["fibreco"],
            title="Install the fibre socket and connect the router",
            description="Ground-floor flat: run the cable along the living-room wall to the phone socket.",
            prerequisites=[("Operator connection at the street cabinet", "operator")],
        )
        case_set_status(actor=samir, case=case, status=Case.Status.IN_PROGRESS)
        first = cal.monday_plus(-53, "08:00")
        job = job_schedule(
            actor=samir, job=job, window_start=first, window_end=first + timedelta(hours=4), technician=thierry
        )
    with clock_at(cal.monday_plus(-53, "08:45")):
        job = job_cancel(
            actor=thierry,
            job=job,
            reason=Job.CancellationReason.PREREQUISITE_MISSING,
            note="No fibre at the street cabinet: the operator has not made the connection. "
            "Mrs Martin told at her door.",
        )
    with clock_at(cal.monday_plus(-52, "10:00")):
        second = cal.monday_plus(-39, "08:00")
        job = job_schedule(
            actor=samir, job=job, window_start=second, window_end=second + timedelta(hours=4), technician=thierry
        )
    with clock_at(cal.monday_plus(-39, "08:50")):
        job = job_cancel(
            actor=thierry,
            job=job,
            reason=Job.CancellationReason.PREREQUISITE_MISSING,
            note="Street cabinet still not connected, same as last time.",
        )
    return job


def _handoff_to_customer_relations(cast: Cast, cal: Calendar, case: Case) -> Handoff:
    samir, claire = cast.staff["samir"], cast.staff["claire"]
    with clock_at(cal.monday_plus(-38, "14:00")):
        handoff = case_handoff(
            actor=samir,
            case=_fresh(case),
            to_user=claire,
            reason="Two visits cancelled; Mrs Martin needs one contact until the installation is done",
            summary=HANDOFF_SUMMARY,
            expected_owner=samir,
        )
    with clock_at(cal.monday_plus(-38, "14:30")):
        handoff = handoff_acknowledge(actor=claire, handoff=handoff)
    with clock_at(cal.monday_plus(-38, "15:00")):
        call_log(
            actor=claire,
            case=_fresh(case),
            inbound=False,
            summary="Introduced myself to Mrs Martin as her single contact until the fibre works. Explained that "
            "the operator has not connected the street cabinet and that I am chasing them. Her son Paul may "
            "call for her.",
        )
    return handoff


def _third_visit(cast: Cast, cal: Calendar, case: Case, job: Job) -> Job:
    claire, thierry = cast.staff["claire"], cast.contractors["thierry"]
    with clock_at(cal.monday_plus(-20, "11:00")):
        note_add(
            actor=claire,
            case=_fresh(case),
            for_contractor=True,
            body="The operator says the street connection is booked before the next visit. Please bring the "
            "long drill bit: the living-room wall is thick.",
        )
        third = cal.monday_plus(-4, "08:00")
        job = job_schedule(
            actor=claire, job=job, window_start=third, window_end=third + timedelta(hours=4), technician=thierry
        )
    with clock_at(cal.monday_plus(-4, "08:20")):
        job = job_update_status(actor=thierry, job=job, status=Job.Status.ON_THE_WAY)
    with clock_at(cal.monday_plus(-4, "08:55")):
        job = job_update_status(
            actor=thierry,
            job=job,
            status=Job.Status.ON_SITE,
            override_reason="Street connection still not confirmed; Mrs Martin asked us to fit the indoor socket "
            "meanwhile",
        )
    return job


def _drilled_pipe(cast: Cast, cal: Calendar, case: Case, job: Job) -> tuple[Job, Promise]:
    thierry = cast.contractors["thierry"]
    with clock_at(cal.monday_plus(-4, "10:40")):
        incident_report(
            actor=thierry,
            job=job,
            what="Drilled into a heating pipe while running the fibre cable through the living-room wall",
            location="Living room, wall behind the radiator",
            immediate_action="Water shut off at the main valve and heating switched off; towels and a bucket under "
            "the leak. Her son informed by phone.",
            affects_water=True,
            affects_heating=True,
        )
    with clock_at(cal.monday_plus(-4, "11:05")):
        promise = promise_make(
            actor=thierry,
            case=_fresh(case),
            job=job,
            kind=Promise.Kind.VISIT,
            text=BACK_MONDAY,
            due_at=cal.monday_plus(0, "12:00"),
        )
    with clock_at(cal.monday_plus(-4, "11:20")):
        job = job_fail(
            actor=thierry,
            job=job,
            outcome_report="Installation not finished: work stopped after the heating pipe was damaged. "
            "Indoor socket not fitted.",
        )
    return job, promise


def _callback_promised(cast: Cast, cal: Calendar, case: Case) -> Promise:
    claire = cast.staff["claire"]
    with clock_at(cal.monday_plus(-3, "09:15")):
        call_log(
            actor=claire,
            case=_fresh(case),
            inbound=False,
            summary="Called Mrs Martin after FibreCo's damage report: no heating and a leak in the living room; her "
            "son is with her. Both insurers are contacted today; I call back before 17:00.",
        )
        return promise_make(
            actor=claire,
            case=_fresh(case),
            kind=Promise.Kind.CALLBACK,
            text="I'll call you back today before 17:00 with both claim numbers",
            due_at=cal.monday_plus(-3, "17:00"),
        )


def _file_claims(cast: Cast, cal: Calendar, case: Case) -> list[InsuranceClaim]:
    """Our insurer's next action is already late (Sunday); hers is an expert visit next week."""
    claire, pierre = cast.staff["claire"], cast.staff["pierre"]
    year = cal.today.year
    with clock_at(cal.monday_plus(-3, "10:00")):
        specialist_add(actor=claire, case=_fresh(case), user=pierre)
    with clock_at(cal.monday_plus(-3, "10:30")):
        ours = claim_file(
            actor=pierre,
            case=case,
            insurer="Hexagone Assurances Pro",
            policy_holder=InsuranceClaim.PolicyHolder.COMPANY,
            claim_number=f"HX-{year}-418802",
            policy_number="RC-PRO-7741",
            amount_claimed=Decimal("2400.00"),
            next_action="Send FibreCo's incident report and photos to the adjuster",
            next_action_due=cal.monday - timedelta(days=1),
            adjuster_name="Marc Rivière",
            adjuster_contact="claims@hexagone-assurances.example",
        )
        hers = claim_file(
            actor=pierre,
            case=case,
            insurer="Maison Sûre Assurances",
            policy_holder=InsuranceClaim.PolicyHolder.CUSTOMER,
            claim_number=f"MS-{year}-0099127",
            policy_number="HAB-552190",
            amount_claimed=Decimal("2400.00"),
            next_action="Expert visit to assess the water damage",
            next_action_due=cal.today + timedelta(days=6),
            adjuster_name="Sandrine Caron",
            adjuster_contact="+33 4 72 00 41 41",
        )
    return [ours, hers]


def _two_insurers(cast: Cast, cal: Calendar, case: Case) -> list[InsuranceClaim]:
    """Both claims filed the day after the damage; each insurer says the other one should pay."""
    claire, pierre = cast.staff["claire"], cast.staff["pierre"]
    callback = _callback_promised(cast, cal, case)
    ours, hers = _file_claims(cast, cal, case)
    with clock_at(cal.monday_plus(-3, "15:30")):
        ours = claim_update(
            actor=pierre,
            claim=ours,
            status=InsuranceClaim.Status.ACKNOWLEDGED,
            note="Hexagone says the customer's home insurance should pay first.",
        )
    with clock_at(cal.monday_plus(-3, "16:00")):
        hers = claim_update(
            actor=pierre,
            claim=hers,
            status=InsuranceClaim.Status.ACKNOWLEDGED,
            note="Maison Sûre says the operator's contractor caused the damage, so the operator's insurer should pay.",
        )
    with clock_at(cal.monday_plus(-3, "16:40")):
        call_log(
            actor=claire,
            case=_fresh(case),
            inbound=False,
            summary="Gave Mrs Martin both claim numbers. FibreCo returns on Monday with two workers.",
        )
        promise_keep(actor=claire, promise=callback, note="Called at 16:40 with both claim numbers.")
    return [ours, hers]


def _unanswered_emails(cast: Cast, cal: Calendar, case: Case) -> list[Message]:
    """Her son writes twice; the second time nobody came on Monday. Nobody has answered."""
    paul = cast.delegate
    with clock_at(cal.monday_plus(-2, "19:30")):
        first = message_receive(
            actor=paul,
            case=_fresh(case),
            channel=Message.Channel.EMAIL,
            body="Hello, my mother has had no heating since Thursday and the leak is getting worse. Can you "
            "confirm that the technicians come on Monday, with a plumber?\nPaul Martin (her son)",
        )
    with clock_at(cal.monday_plus(0, "16:00")):
        second = message_receive(
            actor=paul,
            case=_fresh(case),
            channel=Message.Channel.EMAIL,
            body="Nobody came today. My mother waited all morning in the cold. Who is going to repair the pipe? "
            "Please answer: nobody picks up the phone either.\nPaul Martin",
        )
    return [first, second]


def replay_fibre(cast: Cast, cal: Calendar) -> FibreStory:
    case = _sale(cast, cal)
    job = _two_cancelled_visits(cast, cal, case)
    handoff = _handoff_to_customer_relations(cast, cal, case)
    job = _third_visit(cast, cal, case, job)
    job, back_monday = _drilled_pipe(cast, cal, case, job)
    claims = _two_insurers(cast, cal, case)
    unanswered = _unanswered_emails(cast, cal, case)
    return FibreStory(_fresh(case), job, handoff, back_monday, claims, unanswered)
