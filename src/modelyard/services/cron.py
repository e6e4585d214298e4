"""Cron schedules: Quartz expressions (with seconds) and classic 5-field cron, in a time zone.

* 5 fields: ``minute hour day-of-month month day-of-week`` (day-of-week 0-7, 0 and 7 = Sunday).
* 6 or 7 fields (Quartz, Databricks' ``quartz_cron_expression``): ``second minute hour
  day-of-month month day-of-week [year]``; ``?`` means "any", day-of-week numbers are 1-7 with
  1 = Sunday, ``a/b`` is "from a every b". The year field must be ``*`` (or absent).

Iteration uses ``croniter`` (an optional dependency, extra ``jobs``) on time-zone aware
datetimes, so a daily 02:00 in Europe/Paris stays at 02:00 local across DST changes.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = ["CronSchedule", "parse_schedule"]

_MAX_BY_FIELD = {0: 59, 1: 59, 2: 23, 3: 31, 4: 12, 5: 7}


def _quartz_dow(field: str) -> str:
    """Quartz day-of-week numbers (1 = Sunday) to cron numbers (0 = Sunday)."""

    def shift(match: re.Match[str]) -> str:
        n = int(match.group(0))
        if not 1 <= n <= 7:
            raise InvalidParameterValue(
                f"Day-of-week {n} is out of range 1-7 in the quartz_cron_expression."
            )
        return str(n - 1)

    # only the numbers before a '#' (the nth-weekday count stays) and not after '/'
    out = []
    for part in field.split(","):
        head, hash_sep, nth = part.partition("#")
        base, slash, step = head.partition("/")
        base = re.sub(r"\d+", shift, base)
        out.append(base + slash + step + hash_sep + nth)
    return ",".join(out)


def _start_step(field: str, index: int) -> str:
    """Quartz ``5/15`` (start/step without a range) to ``5-59/15``."""
    parts = []
    for part in field.split(","):
        base, slash, step = part.partition("/")
        if slash and base not in ("*", "") and "-" not in base:
            base = f"{base}-{_MAX_BY_FIELD[index]}"
        parts.append(base + slash + step)
    return ",".join(parts)


class CronSchedule:
    """A parsed schedule; :meth:`next_after` gives fire times in epoch milliseconds."""

    def __init__(self, expression: str, timezone_id: str = "UTC") -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        if not isinstance(expression, str) or not expression.strip():
            raise InvalidParameterValue(
                "schedule.quartz_cron_expression must be a non-empty string."
            )
        try:
            self.tz = ZoneInfo(timezone_id or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidParameterValue(
                f"Invalid value {timezone_id!r} for schedule.timezone_id (an IANA time zone "
                "such as 'UTC' or 'Europe/Paris')."
            ) from None
        self.expression = expression.strip()
        self.timezone_id = timezone_id or "UTC"
        fields = self.expression.split()
        if len(fields) == 5:
            self._expr = " ".join(f.replace("?", "*") for f in fields)
            self._seconds = False
        elif len(fields) in (6, 7):
            if len(fields) == 7 and fields[6] not in ("*", "?"):
                raise InvalidParameterValue(
                    f"Invalid quartz_cron_expression {self.expression!r}: a year field other "
                    "than '*' is not supported."
                )
            six = [f.replace("?", "*") for f in fields[:6]]
            six = [_start_step(f, i) for i, f in enumerate(six)]
            six[5] = _quartz_dow(six[5])
            self._expr = " ".join(six)
            self._seconds = True
        else:
            raise InvalidParameterValue(
                f"Invalid quartz_cron_expression {self.expression!r}: expected 5 fields (cron) "
                "or 6-7 fields (Quartz, seconds first)."
            )
        self._check()

    def _iter(self, start: datetime, **kw: Any) -> Any:
        try:
            from croniter import croniter
        except ImportError:  # pragma: no cover - depends on the install
            raise InvalidParameterValue(
                "Job schedules need the 'croniter' package: pip install 'modelyard[jobs]'."
            ) from None
        return croniter(self._expr, start, second_at_beginning=self._seconds, **kw)

    def _check(self) -> None:
        try:
            self._iter(datetime.now(self.tz)).get_next(datetime)
        except InvalidParameterValue:
            raise
        except Exception as exc:  # croniter's own errors: bad field, out of range
            raise InvalidParameterValue(
                f"Invalid quartz_cron_expression {self.expression!r}: {exc}"
            ) from None

    def next_after(self, epoch_ms: int) -> int:
        """The first fire time strictly after ``epoch_ms``."""
        start = datetime.fromtimestamp(epoch_ms / 1000.0, tz=self.tz)
        nxt = self._iter(start).get_next(datetime)
        value = int(round(nxt.timestamp() * 1000))
        if value <= epoch_ms:  # sub-second start: step once more
            return self.next_after(epoch_ms + 1000 - epoch_ms % 1000)
        return value

    def fire_times(self, after: int, until: int, limit: int = 1000) -> list[int]:
        """Fire times in (after, until], at most ``limit`` (oldest first)."""
        out: list[int] = []
        t = after
        while len(out) < limit:
            t = self.next_after(t)
            if t > until:
                break
            out.append(t)
        return out


def parse_schedule(schedule: dict[str, Any]) -> CronSchedule:
    return CronSchedule(
        str(schedule.get("quartz_cron_expression") or ""),
        str(schedule.get("timezone_id") or "UTC"),
    )
