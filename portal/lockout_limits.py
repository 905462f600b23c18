"""The ASVS V2.2.1 bound on sign-in failures, checked when the settings load (no Django import:
the settings module uses it)."""

import math

# ASVS 4.0 V2.2.1: no more than 100 failed attempts per hour are possible on a single account.
ASVS_MAX_FAILURES_PER_HOUR = 100


def failures_per_hour_at_most(*, failure_limit: int, cooloff_minutes: int) -> int:
    """The most wrong passwords one account can be tried with in an hour: `failure_limit` tries,
    then the lock, which lifts `cooloff_minutes` after the last try. A window that starts just
    after a lock lifted sees ceil(60 / cooloff) such rounds."""
    return failure_limit * math.ceil(60 / cooloff_minutes)


def check_lockout_limits(*, account_limit: int, address_limit: int, cooloff_minutes: int) -> None:
    if account_limit < 1 or address_limit < 1 or cooloff_minutes < 1:
        raise ValueError("sign-in failure limits and the lockout time must be at least 1")
    per_hour = failures_per_hour_at_most(failure_limit=account_limit, cooloff_minutes=cooloff_minutes)
    if per_hour > ASVS_MAX_FAILURES_PER_HOUR:
        raise ValueError(
            f"{account_limit} failures per {cooloff_minutes} minutes allow {per_hour} wrong passwords an hour "
            f"on one account; at most {ASVS_MAX_FAILURES_PER_HOUR} are allowed (ASVS V2.2.1)"
        )
