"""The one exception type services raise for rule violations.

Views turn it into a form error, the API into HTTP 400 (409 for a Conflict, 404 for
NotFound) with the field named when there is one.
"""

from django.utils.translation import gettext as _


class RuleViolation(Exception):
    """Bad input or a broken business rule; nothing was written."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def as_dict(self) -> dict[str, list[str]]:
        return {self.field or "non_field_errors": [self.message]}


class NotAllowed(RuleViolation):
    """The actor may see the record but not do this to it."""

    status_code = 403

    def __init__(self, message: str | None = None, **kwargs) -> None:
        # Translated when raised, in the language of the person it is shown to.
        super().__init__(message or _("You are not allowed to do this."), code="not_allowed", **kwargs)


class Conflict(RuleViolation):
    """Someone else changed the record first (e.g. the case was handed off a second ago)."""

    status_code = 409

    def __init__(self, message: str, **kwargs) -> None:
        super().__init__(message, code="conflict", **kwargs)
