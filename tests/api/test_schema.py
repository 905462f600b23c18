"""The OpenAPI schema: generated without warnings, valid, every error documented, and the docs
page served with its own assets (no CDN)."""

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from api.urls import urlpatterns

WRITES = {"post", "put", "patch"}


@pytest.fixture(scope="module")
def schema() -> dict:
    generator = SchemaGenerator(patterns=None)
    return generator.get_schema(request=None, public=True)


def _operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [
        (method, path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_the_schema_is_valid_openapi_3(schema: dict) -> None:
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert set(schema["components"]["securitySchemes"]) == {"cookieAuth", "tokenAuth"}


def test_every_api_url_is_in_the_schema(schema: dict) -> None:
    documented = {path for path in schema["paths"]}
    routes = {
        "/api/v1/" + str(pattern.pattern).replace("<int:", "{").replace("<str:", "{").replace(">", "}")
        for pattern in urlpatterns
        if pattern.name not in {"schema", "docs", "not-found"}
    }
    # Path parameters keep their names; spectacular calls a pk "id".
    assert {route.replace("{pk}", "{id}") for route in routes} == documented


def test_every_operation_documents_its_errors(schema: dict) -> None:
    for method, path, operation in _operations(schema):
        codes = set(operation["responses"])
        assert {"403", "404", "429"} <= codes, f"{method} {path}: {sorted(codes)}"
        if method in WRITES:
            assert "400" in codes, f"{method} {path} documents no 400"
        error = operation["responses"]["404"]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/Error"}
    handoff = schema["paths"]["/api/v1/cases/{reference}/handoffs/"]["post"]["responses"]
    assert "409" in handoff
    assert "409" in schema["paths"]["/api/v1/inbound/messages/"]["post"]["responses"]
    assert schema["components"]["schemas"]["ValidationErrors"]["additionalProperties"]


def test_staff_only_fields_are_not_promised_to_everyone(schema: dict) -> None:
    case = schema["components"]["schemas"]["Case"]
    assert "reference" in case["required"]
    assert "reply_due_at" not in case["required"]
    assert "Shown to staff only." in case["properties"]["reply_due_at"].get("description", "")
    job = schema["components"]["schemas"]["Job"]
    assert "outcome_report" not in job["required"]
    assert "window_start" in job["required"]


def test_lists_document_their_filters_and_cursor(schema: dict) -> None:
    params = {p["name"] for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    assert {"cursor", "page_size", "status", "owner", "open", "q"} <= params


def test_the_docs_page_serves_swagger_ui_from_this_site(db: None) -> None:
    response = APIClient().get(reverse("api:docs"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn." not in page
    # No inline script or style (the Content Security Policy refuses them): the start-up script is a file.
    assert "<script>" not in page and "<style>" not in page
    script = APIClient().get(reverse("api:docs") + "?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert reverse("api:schema") in script.content.decode()


def test_the_schema_generates_without_a_warning(db: None, tmp_path) -> None:
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")
