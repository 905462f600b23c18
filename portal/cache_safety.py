"""The cache (Redis in production) only ever speeds things up or counts: when it cannot be reached,
Steward carries on as if it held nothing, and says so in the log. Nothing a person sends may be lost
because a counter could not be read."""

import logging

import redis.exceptions

# What an unreachable cache raises: redis-py's own errors for a refused, reset or timed-out connection,
# and the operating system's for a socket that fails before redis-py wraps it.
CACHE_UNREACHABLE: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
)


def log_cache_unreachable(logger: logging.Logger, what: str) -> None:
    """A warning with the cause, once per failed use (the caller is in an `except CACHE_UNREACHABLE` block)."""
    logger.warning("The cache could not be reached (%s); carrying on without it.", what, exc_info=True)
