"""Contractor jobs, their prerequisites and incident reports: what a contractor's own software
(or a member of staff) reads and reports. A contractor user sees only the jobs of their company
and those shared with it, with the minimum of the case they need."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from api import filters, inputs, outputs
from api.views.base import ApiViewSet, CaseScopedViewSet
from cases import policies
from cases.services import promise_make
from contractors import services
from contractors.models import IncidentCorrection, IncidentReport, Job, Prerequisite

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

F = TypeVar("F", bound=Callable)
OWNER = "case__owner__staff_profile__department"


def incidents() -> QuerySet[IncidentReport]:
    corrections = IncidentCorrection.objects.select_related("written_by").order_by("created_at", "pk")
    return IncidentReport.objects.select_related("reported_by").prefetch_related(
        Prefetch("corrections", queryset=corrections), "photos"
    )


def with_details(jobs: QuerySet[Job]) -> QuerySet[Job]:
    """Everything the job serializer shows, loaded with the page."""
    return jobs.select_related("company", "technician", "case__customer", OWNER).prefetch_related(
        "prerequisites", Prefetch("incidents", queryset=incidents().order_by("created_at", "pk"))
    )


def jobs_for(user: User | AnonymousUser) -> QuerySet[Job]:
    """The jobs the policy lets the user open (staff, and contractor users)."""
    return with_details(policies.jobs_visible_to(user))


def _on_job(
    summary: str, request: type | None, code: int = 200, response: type = outputs.JobSerializer
) -> Callable[[F], F]:
    return extend_schema(request=request, responses={code: response}, summary=summary)


class CaseJobViewSet(mixins.ListModelMixin, CaseScopedViewSet):
    """/cases/{reference}/jobs/: the case's jobs as the policy shows them (the customer's side sees
    their visits' company, window and prerequisites), and asking a company for a new one."""

    model = Job
    serializer_class = outputs.JobSerializer
    filterset_class = filters.JobFilter
    cursor_ordering = ("-created_at", "-pk")
    action_policies = {"create": policies.can_work_on_case}

    def get_queryset(self) -> QuerySet[Job]:
        if self.for_schema:
            return self.empty()
        return with_details(policies.jobs_for(self.request.user, self.case))

    @_on_job("Ask a contractor company for a job on the case", inputs.JobRequestInput, 201)
    def create(self, request: Request, reference: str) -> Response:
        case = self.case
        data = self.parse(inputs.JobRequestInput)
        prerequisites = [(p["description"], p["responsible_party"]) for p in data.pop("prerequisites")]
        job = services.job_request(actor=request.user, case=case, prerequisites=prerequisites, **data)
        return self.answer(outputs.JobSerializer, jobs_for(request.user).get(pk=job.pk), status.HTTP_201_CREATED)


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    model = Job
    serializer_class = outputs.JobSerializer
    filterset_class = filters.JobFilter
    cursor_ordering = ("-created_at", "-pk")
    # A contractor reports on a job given to them (or as their company's administrator).
    action_policies = {
        "promise": policies.can_work_on_job,
        **{action: services.can_report_on_job for action in ("schedule", "cancel", "visit", "complete", "fail")},
    }

    def get_queryset(self) -> QuerySet[Job]:
        if self.for_schema:
            return self.empty()
        return jobs_for(self.request.user)

    def _done(self, job: Job) -> Response:
        return self.answer(outputs.JobSerializer, self.get_queryset().get(pk=job.pk))

    @_on_job("Schedule (or reschedule) the visit", inputs.JobScheduleInput)
    def schedule(self, request: Request, pk: int) -> Response:
        job = self.get_object()
        return self._done(services.job_schedule(actor=request.user, job=job, **self.parse(inputs.JobScheduleInput)))

    @_on_job("Cancel the visit, with the reason", inputs.JobCancelInput)
    def cancel(self, request: Request, pk: int) -> Response:
        job = self.get_object()
        return self._done(services.job_cancel(actor=request.user, job=job, **self.parse(inputs.JobCancelInput)))

    @_on_job("The technician is on the way, or on site", inputs.JobVisitInput)
    def visit(self, request: Request, pk: int) -> Response:
        job = self.get_object()
        return self._done(services.job_update_status(actor=request.user, job=job, **self.parse(inputs.JobVisitInput)))

    @_on_job("Report the visit done", inputs.JobReportInput)
    def complete(self, request: Request, pk: int) -> Response:
        job = self.get_object()
        return self._done(services.job_complete(actor=request.user, job=job, **self.parse(inputs.JobReportInput)))

    @_on_job("Report the visit failed", inputs.JobReportInput)
    def fail(self, request: Request, pk: int) -> Response:
        job = self.get_object()
        return self._done(services.job_fail(actor=request.user, job=job, **self.parse(inputs.JobReportInput)))

    @_on_job(
        "Promise something about the job (it lands on the case)", inputs.PromiseInput, 201, outputs.PromiseSerializer
    )
    def promise(self, request: Request, pk: int) -> Response:
        job = self.get_object()
        made = promise_make(actor=request.user, case=job.case, job=job, **self.parse(inputs.PromiseInput))
        return self.answer(outputs.PromiseSerializer, made, status.HTTP_201_CREATED)


class JobIncidentViewSet(mixins.ListModelMixin, ApiViewSet):
    """/jobs/{id}/incidents/: damage reported on site, and reporting new damage."""

    model = IncidentReport
    serializer_class = outputs.IncidentSerializer
    cursor_ordering = ("created_at", "pk")
    action_policies = {"create": services.can_report_on_job}

    @cached_property
    def job(self) -> Job:
        job = get_object_or_404(
            policies.jobs_visible_to(self.request.user).select_related("case"), pk=self.kwargs["pk"]
        )
        self.check_object_permissions(self.request, job)
        return job

    def get_queryset(self) -> QuerySet[IncidentReport]:
        if self.for_schema:
            return self.empty()
        return incidents().filter(job=self.job)

    @_on_job("Report damage caused on site (flags the owner)", inputs.IncidentInput, 201, outputs.IncidentSerializer)
    def create(self, request: Request, pk: int) -> Response:
        job = self.job
        incident = services.incident_report(actor=request.user, job=job, **self.parse(inputs.IncidentInput))
        return self.answer(outputs.IncidentSerializer, incidents().get(pk=incident.pk), status.HTTP_201_CREATED)


class PrerequisiteViewSet(ApiViewSet):
    model = Prerequisite
    serializer_class = outputs.PrerequisiteSerializer
    action_policies = {"complete": lambda user, prerequisite: services.can_report_on_job(user, prerequisite.job)}

    def get_queryset(self) -> QuerySet[Prerequisite]:
        if self.for_schema:
            return self.empty()
        return Prerequisite.objects.filter(job__in=policies.jobs_visible_to(self.request.user)).select_related("job")

    @_on_job("Mark a prerequisite done", None, 200, outputs.PrerequisiteSerializer)
    def complete(self, request: Request, pk: int) -> Response:
        done = services.prerequisite_complete(actor=request.user, prerequisite=self.get_object())
        return self.answer(outputs.PrerequisiteSerializer, done)


class IncidentViewSet(ApiViewSet):
    model = IncidentReport
    serializer_class = outputs.IncidentSerializer
    action_policies = {
        "correct": lambda user, incident: services.can_report_on_job(user, incident.job),
        "repair": lambda user, incident: policies.can_work_on_case(user, incident.job.case),
    }

    def get_queryset(self) -> QuerySet[IncidentReport]:
        if self.for_schema:
            return self.empty()
        return incidents().filter(job__in=policies.jobs_visible_to(self.request.user)).select_related("job__case")

    @_on_job("Append a correction to a damage report", inputs.CorrectionInput, 201, outputs.CorrectionSerializer)
    def correct(self, request: Request, pk: int) -> Response:
        incident = self.get_object()
        correction = services.incident_correct(
            actor=request.user, incident=incident, **self.parse(inputs.CorrectionInput)
        )
        return self.answer(outputs.CorrectionSerializer, correction, status.HTTP_201_CREATED)

    @_on_job(
        "Plan the repair of the damage (clears the incident flag)", inputs.RepairInput, 200, outputs.IncidentSerializer
    )
    def repair(self, request: Request, pk: int) -> Response:
        incident = self.get_object()
        services.incident_plan_repair(actor=request.user, incident=incident, **self.parse(inputs.RepairInput))
        return self.answer(outputs.IncidentSerializer, self.get_queryset().get(pk=incident.pk))
