"""/health/watchers/: whether every watcher finished a run lately, for a monitor or load balancer.

No case data and no sign-in: only watcher names and when each last finished a run. 503 while
any watcher is stale or never ran (cases/watchers/liveness.py), so a monitor can alert on it.
"""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from cases.watchers.liveness import watcher_liveness


@never_cache
@require_safe
def watchers_health(request: HttpRequest) -> JsonResponse:
    liveness = watcher_liveness()
    body = {
        "status": "stale" if liveness.is_stale else "ok",
        "watchers": {
            name: last.isoformat() if last is not None else None for name, last in liveness.last_completed.items()
        },
    }
    return JsonResponse(body, status=503 if liveness.is_stale else 200)
