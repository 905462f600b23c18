"""The REST API, mounted at /api/v1/ (namespace "api"). Every URL here has its role-matrix
rows in tests/api/matrix_rows.py."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.errors import not_found
from api.views.cases import CaseViewSet
from api.views.conversation import (
    CaseAlertViewSet,
    CaseClaimViewSet,
    CaseHandoffViewSet,
    CasePromiseViewSet,
    ClaimViewSet,
    HandoffViewSet,
    MessageViewSet,
    PromiseViewSet,
    TimelineViewSet,
)
from api.views.customers import CustomerCaseViewSet, CustomerViewSet
from api.views.inbound import InboundEmailViewSet, InboundMessageViewSet
from api.views.jobs import CaseJobViewSet, IncidentViewSet, JobIncidentViewSet, JobViewSet, PrerequisiteViewSet
from api.views.sales import CaseSaleViewSet
from api.views.staff import AlertViewSet, FlagViewSet

app_name = "api"

LIST = {"get": "list"}
LIST_CREATE = {"get": "list", "post": "create"}
READ = {"get": "retrieve"}
case = "cases/<str:reference>/"


def post(action: str) -> dict[str, str]:
    return {"post": action}


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file (docs/?script), so the page needs no inline script.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
    # customers
    path("customers/", CustomerViewSet.as_view(LIST), name="customer-list"),
    path("customers/<int:pk>/", CustomerViewSet.as_view(READ), name="customer-detail"),
    path("customers/<int:customer_id>/cases/", CustomerCaseViewSet.as_view(LIST_CREATE), name="customer-cases"),
    # cases
    path("cases/", CaseViewSet.as_view(LIST), name="case-list"),
    path(case, CaseViewSet.as_view(READ), name="case-detail"),
    path(case + "status/", CaseViewSet.as_view(post("status")), name="case-status"),
    path(case + "resolve/", CaseViewSet.as_view(post("resolve")), name="case-resolve"),
    path(case + "confirm/", CaseViewSet.as_view(post("confirm")), name="case-confirm"),
    path(case + "reject-resolution/", CaseViewSet.as_view(post("reject_resolution")), name="case-reject-resolution"),
    path(case + "reopen/", CaseViewSet.as_view(post("reopen")), name="case-reopen"),
    path(case + "timeline/", TimelineViewSet.as_view(LIST), name="case-timeline"),
    path(case + "messages/", MessageViewSet.as_view(LIST_CREATE), name="case-messages"),
    path(case + "promises/", CasePromiseViewSet.as_view(LIST_CREATE), name="case-promises"),
    path(case + "claims/", CaseClaimViewSet.as_view(LIST_CREATE), name="case-claims"),
    path(case + "handoffs/", CaseHandoffViewSet.as_view(LIST_CREATE), name="case-handoffs"),
    path(case + "jobs/", CaseJobViewSet.as_view(LIST_CREATE), name="case-jobs"),
    path(case + "alerts/", CaseAlertViewSet.as_view(LIST_CREATE), name="case-alerts"),
    path(case + "sales/", CaseSaleViewSet.as_view(LIST_CREATE), name="case-sales"),
    path(
        case + "sales/<int:pk>/",
        CaseSaleViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="case-sale-detail",
    ),
    # records of a case, by id
    path("promises/<int:pk>/", PromiseViewSet.as_view(READ), name="promise-detail"),
    path("promises/<int:pk>/settle/", PromiseViewSet.as_view(post("settle")), name="promise-settle"),
    path("claims/<int:pk>/", ClaimViewSet.as_view(READ), name="claim-detail"),
    path("claims/<int:pk>/updates/", ClaimViewSet.as_view(post("update_claim")), name="claim-updates"),
    path("handoffs/<int:pk>/acknowledge/", HandoffViewSet.as_view(post("acknowledge")), name="handoff-acknowledge"),
    # contractor jobs
    path("jobs/", JobViewSet.as_view(LIST), name="job-list"),
    path("jobs/<int:pk>/", JobViewSet.as_view(READ), name="job-detail"),
    path("jobs/<int:pk>/schedule/", JobViewSet.as_view(post("schedule")), name="job-schedule"),
    path("jobs/<int:pk>/cancel/", JobViewSet.as_view(post("cancel")), name="job-cancel"),
    path("jobs/<int:pk>/visit/", JobViewSet.as_view(post("visit")), name="job-visit"),
    path("jobs/<int:pk>/complete/", JobViewSet.as_view(post("complete")), name="job-complete"),
    path("jobs/<int:pk>/fail/", JobViewSet.as_view(post("fail")), name="job-fail"),
    path("jobs/<int:pk>/promises/", JobViewSet.as_view(post("promise")), name="job-promises"),
    path("jobs/<int:pk>/incidents/", JobIncidentViewSet.as_view(LIST_CREATE), name="job-incidents"),
    path(
        "prerequisites/<int:pk>/complete/",
        PrerequisiteViewSet.as_view(post("complete")),
        name="prerequisite-complete",
    ),
    path("incidents/<int:pk>/corrections/", IncidentViewSet.as_view(post("correct")), name="incident-corrections"),
    path("incidents/<int:pk>/repair/", IncidentViewSet.as_view(post("repair")), name="incident-repair"),
    # staff: flags and service alerts
    path("flags/", FlagViewSet.as_view(LIST), name="flag-list"),
    path("flags/<int:pk>/", FlagViewSet.as_view(READ), name="flag-detail"),
    path("flags/<int:pk>/acknowledge/", FlagViewSet.as_view(post("acknowledge")), name="flag-acknowledge"),
    path("alerts/", AlertViewSet.as_view(LIST_CREATE), name="alert-list"),
    path("alerts/<int:pk>/", AlertViewSet.as_view({"get": "retrieve", "patch": "partial_update"}), name="alert-detail"),
    path("alerts/<int:pk>/end/", AlertViewSet.as_view(post("end")), name="alert-end"),
    # integrations
    path("inbound/messages/", InboundMessageViewSet.as_view(post("create")), name="inbound-messages"),
    path("inbound/email/", InboundEmailViewSet.as_view(post("create")), name="inbound-email"),
    # Last: anything else under /api/v1/ answers the API's JSON 404, not the site's HTML page.
    re_path(r"^", not_found, name="not-found"),
]
