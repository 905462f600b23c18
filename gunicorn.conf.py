"""Gunicorn for Steward's web processes: `.venv/bin/gunicorn -c gunicorn.conf.py portal.wsgi`.

Behind a reverse proxy (nginx, a cloud load balancer) that terminates TLS and buffers slow
clients; gunicorn's sync workers must never face the internet directly. Every value can be
changed by the environment variable beside it, so one file serves every machine.

Request size: gunicorn limits only the request line and headers. Bodies are limited by the proxy
(nginx `client_max_body_size`), which must let through what Steward accepts: up to 5 files of
ATTACHMENT_MAX_BYTES (10 MiB) per customer form, so about 55 MiB on the pages; on
/api/v1/inbound/email/ up to 4 x INBOUND_MAIL_MAX_BYTES (100 MiB), since a too-big e-mail is
still stored. Django then refuses larger form fields (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MiB of
non-file data) and larger files (portal/uploads.py) with a readable message.
"""

import os


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this container may use, not the host's
    except AttributeError:
        return os.cpu_count() or 1


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


# Sync workers: one request at a time each, so 2 x CPUs + 1 keeps the CPUs busy while some wait
# on the database. Each holds at most one database connection (see DATABASE_POOL_* in the README).
workers = _int("WEB_CONCURRENCY", 2 * _cpus() + 1)
worker_class = "sync"

# GUNICORN_BIND wins (e.g. "0.0.0.0:8000" or "unix:/run/steward/web.sock"); else PORT on every
# interface (container platforms); else loopback only, for a proxy on the same machine.
if os.environ.get("GUNICORN_BIND"):
    bind = [os.environ["GUNICORN_BIND"]]
elif os.environ.get("PORT"):
    bind = [f"0.0.0.0:{_int('PORT', 8000)}"]
else:
    bind = ["127.0.0.1:8000"]

# A request still running after this many seconds has its worker killed and restarted: Steward's
# pages answer in well under a second; exports and reports run in Celery.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On a deploy (SIGTERM), requests in flight get this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Seconds an idle keep-alive connection from the proxy stays open; above the proxy's own idle
# timeout would let the proxy reuse a connection gunicorn is closing.
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Restart each worker after about this many requests (jitter spreads the restarts), bounding
# what a slow leak can grow to.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# Refuse oversized request lines and header sets before Django sees them.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# The proxy's addresses, comma-separated ("*" only when nothing else can reach gunicorn): only
# from them does gunicorn believe X-Forwarded-For/-Proto. Django trusts X-Forwarded-Proto for
# HTTPS when BEHIND_TLS_PROXY=true.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access and error logs to standard output/error, for the process manager or the container.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The workers' heartbeat files in memory, not on a disk that may stall (containers: /dev/shm).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 — gunicorn's documented choice
