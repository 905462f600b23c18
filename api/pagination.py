"""Cursor pagination: a page costs the same whatever its position, and inserts never shift it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from rest_framework.pagination import CursorPagination

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class CursorPage(CursorPagination):
    """Pages of `page_size` rows (50 unless asked, 200 at most) in the view's `cursor_ordering`."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_ordering(self, request: Request, queryset: QuerySet, view: APIView) -> tuple[str, ...]:
        # Each list names its own order: an unchanging, nearly unique column first.
        return tuple(getattr(view, "cursor_ordering", ("-pk",)))
