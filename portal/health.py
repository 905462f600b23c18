"""Health endpoints for load balancers, deploys and monitors. No sign-in, no case data.

- /health/: liveness. The process is up and answers; nothing else is touched (no database), so
  a restart is only asked for when this process itself is stuck.
- /health/ready/: readiness. The database, cache, Celery broker, file storage and watchers
  (portal/readiness.py), as {"status": "ok"|"failing", "checks": {name: "ok"|"failing"}}, 200 or
  503. Never the reason: that is in the log.
- /health/watchers/: whether every watcher finished a run lately, with their names and times
  (cases/watchers/liveness.py), 503 while any is stale or never ran.

HealthEndpointsMiddleware answers the first two before Django checks the Host header or
redirects to HTTPS: a load balancer probes each machine by its address, over plain HTTP.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from cases.watchers.liveness import watcher_liveness
from portal.readiness import run_checks


@never_cache
@require_safe
def liveness(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readiness(request: HttpRequest) -> JsonResponse:
    results = run_checks()
    ready = all(results.values())
    body = {
        "status": "ok" if ready else "failing",
        "checks": {name: "ok" if passed else "failing" for name, passed in results.items()},
    }
    return JsonResponse(body, status=200 if ready else 503)


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


# Paths the load balancer probes; the URLconf names the same views (reverse(), the role matrix).
_PROBED: dict[str, Callable[[HttpRequest], HttpResponse]] = {"/health/": liveness, "/health/ready/": readiness}


class HealthEndpointsMiddleware:
    """Ahead of every middleware that reads the Host header: the probes reach their view whatever
    Host they carry (SECURE_REDIRECT_EXEMPT spares them the HTTPS redirect). Nothing else is exempted."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = _PROBED.get(request.path_info)
        if view is not None:
            return view(request)
        return self.get_response(request)
