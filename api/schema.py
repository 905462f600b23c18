"""The OpenAPI schema: every operation lists the errors it can answer with.

drf-spectacular documents the success of each operation from its serializers; this adds
400/403/404/409/429 with their bodies (see api.errors), and leaves the fields an output
serializer shows only to staff out of the "required" list.
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

WRITE_METHODS = {"POST", "PUT", "PATCH"}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Why the request was refused.",
    "properties": {
        "detail": {"type": "string", "description": "What happened, in words a person can act on."},
        "code": {
            "type": "string",
            "description": "A stable code: not_authenticated, permission_denied, "
            "not_allowed, not_found, conflict, throttled…",
        },
        "field": {"type": "string", "description": "The field the conflict is about, when there is one."},
    },
    "required": ["detail", "code"],
}
VALIDATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Field-level messages: each field that needs fixing, with what to fix "
    "(`non_field_errors` for the request as a whole).",
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "array", "items": {"type": "object"}},
            {"type": "object"},
        ]
    },
}
DESCRIPTIONS = {
    "400": "Invalid input: field-level messages.",
    "403": "Not signed in, or allowed to see the record but not to do this.",
    "404": "No such record, or one you may not see (the same answer), or an unknown page cursor.",
    "409": "Someone changed the record first (for example the case was just handed off); reload and retry.",
    "413": "The request body is bigger than this operation reads.",
    "415": "The body is not in a media type this operation reads.",
    "429": "Too many requests from this account; wait for the number of seconds in Retry-After.",
}


class StewardAutoSchema(AutoSchema):
    def _error_component(self, name: str, schema: dict[str, Any]) -> dict[str, str]:
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name)
        self.registry.register_on_missing(component)
        return component.ref

    def _error_codes(self) -> list[str]:
        codes = ["403", "404", "429"]
        # A list refuses a bad filter or page size.
        if self.method in WRITE_METHODS or (self.method == "GET" and self._is_list_view()):
            codes.append("400")
        if self.method in getattr(self.view, "conflict_methods", ()):
            codes.append("409")
        # Refusals particular to a view (a body too big, a media type it does not read).
        codes += [code for code in getattr(self.view, "extra_error_codes", ()) if code not in codes]
        return sorted(codes)

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        media_types = self.map_renderers("media_type")
        for code in self._error_codes():
            if code in responses:
                continue
            schema = (
                self._error_component("ValidationErrors", VALIDATION_SCHEMA)
                if code == "400"
                else self._error_component("Error", ERROR_SCHEMA)
            )
            entry: dict[str, Any] = {
                "content": {media: {"schema": schema} for media in media_types},
                "description": DESCRIPTIONS[code],
            }
            if code == "429":
                entry["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
            responses[code] = entry
        return responses

    def _map_basic_serializer(self, serializer: serializers.Serializer, direction: str) -> dict[str, Any]:
        schema = super()._map_basic_serializer(serializer, direction)
        meta = getattr(serializer, "Meta", None)
        for attribute, note in (
            ("staff_only", "Shown to staff only."),
            ("hidden_from_customers", "Not shown to the customer's side."),
        ):
            names = getattr(meta, attribute, ())
            if names and "required" in schema:
                schema["required"] = [name for name in schema["required"] if name not in names]
                if not schema["required"]:
                    del schema["required"]
            for name in names:
                prop = schema.get("properties", {}).get(name)
                if isinstance(prop, dict) and "$ref" not in prop:
                    prop["description"] = f"{prop.get('description', '')} {note}".strip()
        return schema
