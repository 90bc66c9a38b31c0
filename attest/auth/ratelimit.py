"""Password attempts limited per username and per address, counted in the audit log.

A wrong password at login ("user:login:failed", with the username typed) or at an
attestation ("memo:attestation:password_failed", with the person as actor) is an audit
event already. When LOGIN_MAX_FAILURES of them fall within LOGIN_FAILURE_WINDOW_MINUTES
for the same username or person (or LOGIN_MAX_FAILURES_PER_ADDRESS for the same address),
further attempts are refused with 429, without looking at the password, until enough of
those failures are older than the window: at most the window's length, never a lock that
only an administrator can lift. The refused attempts are not failures and do not prolong
it. A successful attempt does not forget earlier failures either: ten guesses per window
is the budget, however they are spread around a correct password.

The count is read from the database, so every app server sees the same one; nothing is
kept in a process's memory.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from attest import audit, clock, db
from attest.audit.models import AuditEvent
from attest.memos.models import Memo
from attest.users.models import User
from attest.workflow.operations import PASSWORD_FAILED as ATTESTATION_FAILED

LOGIN_FAILED = "user:login:failed"
LOGIN_THROTTLED = "user:login:throttled"
ATTESTATION_THROTTLED = "memo:attestation:throttled"
# The timestamp authority over HTTP (attest.attestation.views): tokens issued per user, and
# failed credentials per address.
TSA_ISSUED = "tsa:timestamp:issued"
TSA_AUTH_FAILED = "tsa:auth:failed"

# The counts look at one event's rows of the last minutes; without this index they would
# read every such row since the beginning (the audit log is never pruned).
EVENT_TIME_INDEX = sa.Index(
    "ix_audit_events_event_created_at", AuditEvent.event, AuditEvent.created_at
)


@dataclass(frozen=True)
class Throttle:
    """Attempts are refused until ``until``."""

    until: dt.datetime
    now: dt.datetime

    @property
    def seconds(self) -> int:
        return max(1, math.ceil((self.until - self.now).total_seconds()))

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.seconds / 60))

    @property
    def message(self) -> str:
        wait = "1 minut" if self.minutes == 1 else f"{self.minutes} minuter"
        return f"För många misslyckade försök. Vänta {wait} och försök igen."


def login_data(username: str) -> dict[str, Any]:
    """The audit data of a failed or refused login: what the per-username count matches."""
    return {"username": username.strip()[:80]}


def login_throttle(username: str, address: str | None) -> Throttle | None:
    """Whether logins as ``username`` or from ``address`` are refused now."""
    data = _audit_json(login_data(username))
    return _throttle(
        LOGIN_FAILED,
        by_user=AuditEvent.data == data,
        address=address,
    )


def attestation_throttle(user: User, address: str | None) -> Throttle | None:
    """Whether this person's attest password, or any from ``address``, is refused now."""
    return _throttle(ATTESTATION_FAILED, by_user=AuditEvent.actor_id == user.id, address=address)


def record_refused_login(username: str) -> None:
    audit.record(LOGIN_THROTTLED, data=login_data(username))


def record_refused_attestation(user: User, memo: Memo) -> None:
    audit.record(
        ATTESTATION_THROTTLED, actor=user, organisation=memo.organisation, data={"memo": memo.id}
    )


def tsa_data(username: str) -> dict[str, Any]:
    """The audit data of a token issued to a TSA user: what the per-user count matches."""
    return {"user": username[:80]}


def tsa_throttle(username: str) -> Throttle | None:
    """Whether the TSA user has had TSA_HTTP_RATE_PER_MINUTE tokens in the last minute."""
    limit = current_app.config["TSA_HTTP_RATE_PER_MINUTE"]
    condition = AuditEvent.data == _audit_json(tsa_data(username))
    return _limited(TSA_ISSUED, [(condition, limit)], dt.timedelta(minutes=1))


def tsa_auth_throttle(address: str | None) -> Throttle | None:
    """Whether wrong TSA credentials from ``address`` are refused now (as logins are)."""
    config = current_app.config
    if not address:
        return None
    window = dt.timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"])
    limits = [(AuditEvent.address == address, config["LOGIN_MAX_FAILURES_PER_ADDRESS"])]
    return _limited(TSA_AUTH_FAILED, limits, window)


def _throttle(event: str, *, by_user: Any, address: str | None) -> Throttle | None:
    config = current_app.config
    limits = [(by_user, config["LOGIN_MAX_FAILURES"])]
    if address:
        limits.append((AuditEvent.address == address, config["LOGIN_MAX_FAILURES_PER_ADDRESS"]))
    window = dt.timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"])
    return _limited(event, limits, window)


def _limited(event: str, limits: list[tuple[Any, int]], window: dt.timedelta) -> Throttle | None:
    """Throttled until the oldest of the newest ``limit`` events within the window leaves it,
    for each (condition, limit); None while every count is under its limit."""
    now = clock.now()
    until = None
    for condition, limit in limits:
        # The newest `limit` failures in the window; while there are that many, the
        # oldest of them decides when the count drops below the limit.
        moments = list(
            db.session().scalars(
                sa.select(AuditEvent.created_at)
                .where(AuditEvent.event == event, AuditEvent.created_at > now - window, condition)
                .order_by(AuditEvent.created_at.desc())
                .limit(limit)
            )
        )
        if len(moments) >= limit:
            ends = moments[-1] + window
            until = ends if until is None else max(until, ends)
    return Throttle(until=until, now=now) if until is not None else None


def _audit_json(data: dict[str, Any]) -> str:
    # As attest.audit.record stores it (canonical JSON), so equal data is equal text;
    # tests/test_security.py fails if the two ever differ.
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
