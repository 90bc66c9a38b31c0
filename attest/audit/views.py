"""The administrator's audit log page: the organisation's events filtered by person, memo,
event and period, a page at a time, and the state of the chain (whole, or where it breaks).

Bounded work per request: the page reads one page of events; the chain is checked for
the events shown (from each to the anchor that vouches for it: a few entries each); the
whole chain is walked on request only while it is short enough for a page to do it
(``attest audit verify`` walks any length).
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from attest import clock, db
from attest.attestation.audit_anchor import verify_audit, verify_audit_of
from attest.audit.models import AuditEvent, AuditTimestamp
from attest.audit.operations import EventFilter, chain_length, event_names, events_of
from attest.i18n import _l
from attest.memos.models import Memo
from attest.users import roles
from attest.users.models import User
from attest.workflow import worklists

bp = Blueprint("audit_log", __name__, url_prefix="/admin/granskningslogg")

PAGE_SIZE = 50
# The whole chain is walked by the page only up to these sizes (hashes, and anchors whose
# seal signatures are validated); beyond them the page checks the events it shows.
WHOLE_CHAIN_LIMIT = 20_000
WHOLE_ANCHORS_LIMIT = 200


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # a search: a GET that changes nothing

    person = SelectField(_l("Person"), validate_choice=False)
    memo = StringField(_l("Tjänsteutlåtande (Dnr)"), validators=[Length(max=60)])
    event = SelectField(_l("Händelse"), validate_choice=False)
    start = DateField(
        _l("Från och med"),
        validators=[Optional()],
        invalid_value_message=_l("Ange datumet som ÅÅÅÅ-MM-DD."),
    )
    end = DateField(
        _l("Till och med"),
        validators=[Optional()],
        invalid_value_message=_l("Ange datumet som ÅÅÅÅ-MM-DD."),
    )


def _require_administrator() -> None:
    if not current_user.has_role(roles.ADMINISTRATOR):
        abort(403)


_DNR = re.compile(r"\s*(\S+)\s+(\d{4})\s*/\s*(\d+)\s*")


def _memo_named(text: str) -> Memo | None:
    """The organisation's memo with this Dnr (attest's or the diarium's)."""
    org = current_user.organisation
    query = sa.select(Memo).where(Memo.organisation_id == org.id)
    match = _DNR.fullmatch(text)
    by_diarium = query.where(Memo.diarium_dnr == " ".join(text.split()))
    found = db.session().scalar(by_diarium)
    if found is None and match and match[1] == org.code:
        found = db.session().scalar(
            query.where(Memo.dnr_year == int(match[2]), Memo.dnr_serial == int(match[3]))
        )
    return found


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight in Stockholm, in UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=clock.STOCKHOLM).astimezone(dt.timezone.utc)


@bp.route("/")
@login_required
def index():
    _require_administrator()
    org = current_user.organisation
    form = FilterForm(request.args)
    people = list(
        db.session().scalars(
            sa.select(User).where(User.organisation_id == org.id).order_by(User.full_name)
        )
    )
    form.person.choices = [("", _("Alla"))] + [(str(p.id), p.full_name) for p in people]
    form.event.choices = [("", _("Alla"))] + [(e, e) for e in event_names(org.id)]
    messages: list[str] = []
    wanted = EventFilter()
    valid = form.validate()
    if valid:
        actor_id = int(form.person.data) if (form.person.data or "").isdigit() else None
        memo_id = None
        if (form.memo.data or "").strip():
            memo = _memo_named(form.memo.data or "")
            if memo is None:
                messages.append(_("Inget tjänsteutlåtande har Dnr %(dnr)s.", dnr=form.memo.data))
                memo_id = -1  # nothing matches
            else:
                memo_id = memo.id
        start, end = form.start.data, form.end.data
        if start and end and end < start:
            messages.append(_("Perioden slutar innan den börjar."))
        wanted = EventFilter(
            actor_id=actor_id,
            memo_id=memo_id,
            event=form.event.data or None,
            start=_start_of(start) if start else None,
            end=_start_of(end + dt.timedelta(days=1)) if end else None,
        )
    else:
        messages += [m for field_errors in form.errors.values() for m in field_errors]
    page = worklists.paginate(
        events_of(org.id, wanted),
        (AuditEvent.seq.desc(),),
        request.args.get("sida", 1, type=int) or 1,
        PAGE_SIZE,
    )
    names = {p.id: p.full_name for p in people}
    dnrs = _dnrs({e.memo_id for e in page.items if e.memo_id})
    status = 200 if valid else 400
    return (
        render_template(
            "audit/log.html",
            form=form,
            events=page,
            names=names,
            dnrs=dnrs,
            messages=messages,
            chain=_chain_state([e.seq for e in page.items]),
            keep={k: v for k, v in request.args.items() if k != "sida" and v},
        ),
        status,
    )


def _dnrs(memo_ids: set[int]) -> dict[int, Memo]:
    if not memo_ids:
        return {}
    memos = db.session().scalars(
        sa.select(Memo).where(
            Memo.id.in_(memo_ids), Memo.organisation_id == current_user.organisation_id
        )
    )
    return {m.id: m for m in memos}


def _chain_state(shown: list[int]) -> dict:
    """The chain's report for the page: the whole chain when asked and small enough, else
    the part that vouches for the events shown."""
    length = chain_length()
    anchors = db.session().scalar(sa.select(sa.func.count(AuditTimestamp.id))) or 0
    small = length <= WHOLE_CHAIN_LIMIT and anchors <= WHOLE_ANCHORS_LIMIT
    asked = request.args.get("kedja") == "hela"
    if asked and small:
        return {"report": verify_audit(), "length": length, "whole": True, "small": small}
    report = verify_audit_of(shown) if shown else None
    return {"report": report, "length": length, "whole": False, "small": small}
