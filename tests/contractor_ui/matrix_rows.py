"""The role-matrix rows of the contractor pages (issue 6)."""

from tests.role_matrix import Row

CONTRACTOR_ROWS: list[Row] = []
