"""The period a report covers: whole days in the portal's time zone, both ends included."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @classmethod
    def last_days(cls, days: int = DEFAULT_DAYS, *, today: date | None = None) -> "Period":
        today = today or timezone.localdate()
        return cls(start=today - timedelta(days=days - 1), end=today)

    @property
    def since(self) -> datetime:
        """The first moment counted: midnight at the start, local time."""
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        """The first moment no longer counted: midnight after the end, local time."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def query(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}
