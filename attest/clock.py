"""Time behind a small interface: domain code asks the app's clock, never datetime.now()."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo

from flask import current_app

STOCKHOLM = ZoneInfo("Europe/Stockholm")


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware, in UTC."""


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)


class FixedClock:
    """A clock for tests: stands still until moved."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at.astimezone(dt.timezone.utc)

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += dt.timedelta(**delta)


def now() -> dt.datetime:
    """The current UTC time from the current app's clock."""
    return current_app.extensions["attest.clock"].now()


def local(moment: dt.datetime) -> dt.datetime:
    """A stored UTC time as shown to users, in Europe/Stockholm."""
    return moment.astimezone(STOCKHOLM)


def today() -> dt.date:
    """Today's date in Stockholm."""
    return local(now()).date()


def format_date(moment: dt.datetime | dt.date | None) -> str:
    """The one date format users see: YYYY-MM-DD, in Stockholm time."""
    if moment is None:
        return ""
    if isinstance(moment, dt.datetime):
        moment = local(moment).date()
    return moment.isoformat()


def format_datetime(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return local(moment).strftime("%Y-%m-%d %H:%M")
