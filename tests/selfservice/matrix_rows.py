"""The role-matrix rows of the customer self-service pages (issue 5)."""

from tests.role_matrix import Row

CUSTOMER_ROWS: list[Row] = []
