"""Cursor pagination: a page costs the same whatever its position, and inserts never shift it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class CursorPage(CursorPagination):
    """Pages of `page_size` rows (50 unless asked, 200 at most) in the view's `cursor_ordering`."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        """DRF falls back to the default for a page size it cannot read; the schema promises a
        whole number from 1 up, so anything else is refused like any other bad parameter."""
        asked = request.query_params.get(self.page_size_query_param)
        if asked is None:
            return self.page_size
        if not (asked.isascii() and asked.isdigit()) or int(asked) < 1:
            raise ValidationError({self.page_size_query_param: [_("Give a whole number of rows from 1 up.")]})
        # More than the maximum is not a mistake: the page is simply the largest there is.
        return min(int(asked), self.max_page_size)

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters

    def get_ordering(self, request: Request, queryset: QuerySet, view: APIView) -> tuple[str, ...]:
        # Each list names its own order: an unchanging, nearly unique column first.
        return tuple(getattr(view, "cursor_ordering", ("-pk",)))
