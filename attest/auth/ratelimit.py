"""Password attempts limited per person, per address and per known device.

Every attempt at a password (login, the attest password, the current password on "Byt
lösenord") first takes one attempt from each counter it is counted under, in one statement
per counter (``INSERT ... ON CONFLICT DO UPDATE ... WHERE attempts < limit RETURNING``): the
row's lock serialises concurrent attempts, on SQLite and on PostgreSQL with any number of
app servers, and the taking is committed before the password is tried. So thirty attempts
at once get at most the limit's worth of password checks, and nothing is kept in a
process's memory. A counter that is full refuses (429) without the password being looked
at, until its window (LOGIN_FAILURE_WINDOW_MINUTES from its first attempt) is over: never a
lock that only an administrator can lift. A refused attempt takes nothing; a successful
one gives its attempts back, so only failures use up the budget.

Which counters: a device where the person has logged in successfully before carries a
signed cookie (``attest_device``: a random device id and the ids of the people who logged
in on it). An attempt from such a device for such a person counts only on that device's
counter for that person, LOGIN_MAX_FAILURES of them. Any other attempt counts on the
person's common counter (LOGIN_MAX_FAILURES, shared by every unknown device) and on its
address's (LOGIN_MAX_FAILURES_PER_ADDRESS, by default ten times as many: an office behind
one NAT is many people). So someone guessing at the director's name from anywhere uses up
the common budget, and she still logs in from her own desk; and one person's typos do not
lock out the colleagues at the same address.

Failed and refused attempts are audit events too ("user:login:failed",
"user:login:throttled", "memo:attestation:password_failed", "memo:attestation:throttled").
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Mapped, mapped_column

from attest import audit, clock, db
from attest.db import Base, UTCDateTime
from attest.memos.models import Memo
from attest.users.models import User

LOGIN_FAILED = "user:login:failed"
LOGIN_THROTTLED = "user:login:throttled"
ATTESTATION_THROTTLED = "memo:attestation:throttled"
# The timestamp authority over HTTP (attest.attestation.views): tokens issued, and failed
# credentials.
TSA_ISSUED = "tsa:timestamp:issued"
TSA_AUTH_FAILED = "tsa:auth:failed"

LOGIN = "login"  # the login form, and the current password on "Byt lösenord"
ATTESTATION = "attest"  # the attest password
ENROLMENT = "enrol"  # enrolment links tried (attest.users.views)
TSA_AUTH = "tsa-auth"  # TSA credentials tried, per address
TSA_TOKENS = "tsa"  # TSA tokens issued, per TSA user and minute
PUBLIC_VERIFY = "verify-public"  # /v/<code> without a login, per address and minute

DEVICE_COOKIE = "attest_device"
_DEVICE_SALT = "attest.device"
_DEVICE_PEOPLE = 20  # the newest people a shared device remembers


class AttemptCounter(Base):
    """Attempts counted under one key ("login:person:jenny") in the current window."""

    __tablename__ = "attempt_counters"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    window_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int]


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
        from flask_babel import ngettext

        return ngettext(
            "För många misslyckade försök. Vänta %(num)d minut och försök igen.",
            "För många misslyckade försök. Vänta %(num)d minuter och försök igen.",
            self.minutes,
        )


@dataclass(frozen=True)
class Taken:
    key: str
    window_started_at: dt.datetime
    attempts: int
    limit: int


@dataclass(frozen=True)
class Reservation:
    """The attempts one try has taken; ``release`` gives them back after a success."""

    taken: tuple[Taken, ...]

    def throttle_after_failure(self) -> Throttle | None:
        """When this failure used up a counter: how long the next attempt has to wait."""
        full = [t for t in self.taken if t.attempts >= t.limit]
        if not full:
            return None
        window = _window()
        return Throttle(until=max(t.window_started_at for t in full) + window, now=clock.now())


def login_data(username: str) -> dict[str, Any]:
    """The audit data of a failed or refused login."""
    return {"username": username.strip()[:80]}


# --- the counters ----------------------------------------------------------------------


def _window() -> dt.timedelta:
    return dt.timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])


def _upsert(key: str, now: dt.datetime, limit: int, window: dt.timedelta) -> sa.Executable:
    """One attempt more under ``key`` unless it has ``limit`` in its window (a new window
    starts when the old one is over); returns the row only when the attempt was taken."""
    table = cast(sa.Table, AttemptCounter.__table__)
    expired = table.c.window_started_at <= now - window
    dialect = db.session().get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    statement = insert(table).values(key=key, window_started_at=now, attempts=1)
    return statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "attempts": sa.case((expired, 1), else_=table.c.attempts + 1),
            "window_started_at": sa.case((expired, now), else_=table.c.window_started_at),
        },
        where=sa.or_(expired, table.c.attempts < limit),
    ).returning(table.c.window_started_at, table.c.attempts)


def _give_back(taken: Taken) -> None:
    db.session().execute(
        sa.update(AttemptCounter)
        .where(
            AttemptCounter.key == taken.key,
            AttemptCounter.window_started_at == taken.window_started_at,
            AttemptCounter.attempts > 0,
        )
        .values(attempts=AttemptCounter.attempts - 1)
    )


def reserve(
    counters: list[tuple[str, int]], window: dt.timedelta | None = None
) -> Reservation | Throttle:
    """Take one attempt from each (key, limit), or none of them if one is full.

    Committed at once (whatever else the session holds is committed with it): the next
    request, on any app server, sees the attempt before this one's password is tried.
    ``window`` is the counters' window (LOGIN_FAILURE_WINDOW_MINUTES unless given).
    """
    session = db.session()
    now = clock.now()
    window = window or _window()
    taken: list[Taken] = []
    for key, limit in counters:
        row = session.execute(_upsert(key, now, limit, window)).one_or_none()
        if row is None:
            for earlier in taken:
                _give_back(earlier)
            started = session.scalar(
                sa.select(AttemptCounter.window_started_at).where(AttemptCounter.key == key)
            )
            session.commit()
            return Throttle(until=(started or now) + window, now=now)
        taken.append(Taken(key, row.window_started_at, row.attempts, limit))
    session.commit()
    return Reservation(tuple(taken))


def release(reservation: Reservation) -> None:
    """A success: its attempts are given back (in the caller's transaction)."""
    for taken in reservation.taken:
        _give_back(taken)


# --- which counters: the known device, or the person's and the address's ---------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_DEVICE_SALT)


def _device() -> tuple[str, list[int]] | None:
    """This browser's device id and the people who logged in on it, if its cookie is ours."""
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return None
    try:
        data = _serializer().loads(value)
    except BadSignature:
        return None
    device, people = data.get("d"), data.get("p")
    if not isinstance(device, str) or not isinstance(people, list):
        return None
    return device, [p for p in people if isinstance(p, int)]


def _known_device(user_id: int | None) -> str | None:
    device = _device()
    if device is None or user_id is None or user_id not in device[1]:
        return None
    return device[0]


def remember_device(response: Any, user: User) -> None:
    """After a successful login: this browser is a known device of this person."""
    device = _device()
    device_id, people = device if device is not None else (secrets.token_urlsafe(16), [])
    people = [p for p in people if p != user.id][-(_DEVICE_PEOPLE - 1) :] + [user.id]
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer().dumps({"d": device_id, "p": people}),
        max_age=current_app.config["DEVICE_COOKIE_DAYS"] * 24 * 3600,
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]) or request.is_secure,
        httponly=True,
        samesite="Lax",
    )


def _counters(kind: str, person: str, user_id: int | None) -> list[tuple[str, int]]:
    config = current_app.config
    per_person = config["LOGIN_MAX_FAILURES"]
    device = _known_device(user_id)
    if device is not None:
        return [(f"{kind}:device:{device}:{user_id}", per_person)]
    counters = [(f"{kind}:person:{person}", per_person)]
    address = request.remote_addr
    if address:
        counters.append((f"{kind}:address:{address}", config["LOGIN_MAX_FAILURES_PER_ADDRESS"]))
    return counters


def reserve_login(username: str) -> Reservation | Throttle:
    """An attempt to log in as ``username`` (as typed) from this request's browser."""
    name = username.strip()[:80]
    user_id = db.session().scalar(sa.select(User.id).where(User.username == name))
    return reserve(_counters(LOGIN, name.lower(), user_id))


def reserve_password_check(user: User) -> Reservation | Throttle:
    """A logged-in person's current password asked for again ("Byt lösenord")."""
    return reserve(_counters(LOGIN, user.username.lower(), user.id))


def reserve_attestation(user: User) -> Reservation | Throttle:
    """An attempt at the attest password by this person from this request's browser."""
    return reserve(_counters(ATTESTATION, str(user.id), user.id))


def reserve_enrolment() -> Reservation | Throttle:
    """An enrolment link tried from this request's address (a wrong one is a failure)."""
    address = request.remote_addr or "-"
    limit = current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    return reserve([(f"{ENROLMENT}:address:{address}", limit)])


def record_refused_login(username: str) -> None:
    audit.record(LOGIN_THROTTLED, data=login_data(username))


def record_refused_attestation(user: User, memo: Memo) -> None:
    audit.record(
        ATTESTATION_THROTTLED, actor=user, organisation=memo.organisation, data={"memo": memo.id}
    )


def reserve_tsa_credentials() -> Reservation | Throttle:
    """TSA credentials tried from this request's address (wrong ones are failures)."""
    address = request.remote_addr or "-"
    limit = current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    return reserve([(f"{TSA_AUTH}:address:{address}", limit)])


def reserve_tsa_token(username: str) -> Reservation | Throttle:
    """One timestamp token for the TSA user: TSA_HTTP_RATE_PER_MINUTE a minute (kept)."""
    limit = current_app.config["TSA_HTTP_RATE_PER_MINUTE"]
    return reserve([(f"{TSA_TOKENS}:user:{username[:80]}", limit)], dt.timedelta(minutes=1))


def reserve_public_verification() -> Reservation | Throttle:
    """One look at /v/<code> (or one copy checked there) without a login, from this
    request's address: PUBLIC_VERIFY_RATE_PER_MINUTE a minute (kept: each one verifies)."""
    address = request.remote_addr or "-"
    limit = current_app.config["PUBLIC_VERIFY_RATE_PER_MINUTE"]
    return reserve([(f"{PUBLIC_VERIFY}:address:{address}", limit)], dt.timedelta(minutes=1))


def first_refusal(kind: str) -> bool:
    """Whether this is the first refusal of ``kind`` from this address this minute: the
    audit log records that one, not every request of a flood."""
    address = request.remote_addr or "-"
    reserved = reserve([(f"{kind}:refused:address:{address}", 1)], dt.timedelta(minutes=1))
    return isinstance(reserved, Reservation)
