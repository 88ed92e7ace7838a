"""IANA time zone names, checked without reading any machine's own zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


def zone_problem(tz: object) -> str | None:
    """Why ``tz`` is not an IANA zone name ("UTC", "America/New_York"), or None."""
    if not isinstance(tz, str) or not tz.strip():
        return "an IANA time zone name such as 'UTC' or 'America/New_York'"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        close = sorted(name for name in available_timezones() if name.lower() == tz.lower())
        return f"not an IANA time zone; did you mean {close[0]!r}?" if close else (
            "not an IANA time zone; e.g. 'UTC', 'America/New_York', 'Europe/Berlin'")
    return None
