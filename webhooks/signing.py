"""The Steward-Signature header: an HMAC-SHA256 of "<unix time>.<body>" with the endpoint's secret.

The time is inside the signed text so that a receiver can refuse an old request replayed by
someone who captured it (docs/webhooks.md shows a receiver's check).
"""

import hashlib
import hmac


def signature(*, secret: str, timestamp: int, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(*, secret: str, header: str, body: str, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (the docs' example, kept here so the tests run it against real requests)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))
