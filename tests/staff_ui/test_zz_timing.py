import time
from django.urls import reverse
from tests.staff_ui.conftest import signed_in

def test_timing(fibre, owner, django_assert_max_num_queries):
    c = signed_in(owner)
    url = reverse("staff:case", args=[fibre.case.reference])
    for _ in range(3):
        t = time.monotonic(); r = c.get(url); print("case", time.monotonic() - t)
    t = time.monotonic(); r = c.get(reverse("staff:worklist")); print("worklist", time.monotonic() - t)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    with CaptureQueriesContext(connection) as ctx:
        c.get(url)
    print(len(ctx.captured_queries))
    for q in ctx.captured_queries: print(q["time"], q["sql"][:150])
