"""The role-matrix rows of the REST API (issue 7)."""

from tests.role_matrix import Row

API_ROWS: list[Row] = []
