"""The memo resources of the API (/api/v1/memos): thin views over the domain verbs.

Each view is authorised by its token's scope before anything is read (attest.api.auth),
finds the memo in the token's organisation (another's is 404, like one that does not
exist), calls the same operations the pages and the CLI call, and commits once.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import io
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, send_file, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint

from attest import blobs, db
from attest.api import schemas
from attest.api.auth import authenticate, record_use, requires
from attest.api.tokens import READ, WRITE
from attest.errors import Conflict, Invalid, NotFound
from attest.memos.bilagor import CheckedPdf, check_pdf
from attest.memos.models import Memo
from attest.memos.operations import (
    STALE_MEMO,
    AttachmentEdit,
    DraftContent,
    create_memo,
    save_draft,
    set_diarium_dnr,
)
from attest.memos.rendering import pdf_filename
from attest.memos.sections import SECTION_FIELDS
from attest.users.models import User
from attest.workflow.definition import TRANSITIONS, Action, State
from attest.workflow.engine import state_title
from attest.workflow.panel import history
from attest.workflow.routes import plan
from attest.workflow.submissions import active_submission

bp = Blueprint(
    "api_memos",
    __name__,
    url_prefix="/api/v1/memos",
    description="Tjänsteutlåtanden: utkast in, status, attestordning, historik och PDF:er ut.",
)

bp.before_request(authenticate)  # the token and its scope, before the body is read
bp.after_request(record_use)  # every use in the audit log

PDF = {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}


# --- finding things in the token's organisation ----------------------------------------


def get_memo(memo_id: int) -> Memo:
    memo = db.session().get(Memo, memo_id)
    if memo is None or memo.organisation_id != g.api_token.organisation_id:
        raise NotFound(_("Tjänsteutlåtandet finns inte."))
    return memo


def get_author(username: str) -> User:
    """The handläggare a draft is written for: a person of the token's organisation."""
    user = db.session().scalar(sa.select(User).where(User.username == username))
    if user is None or user.organisation_id != g.api_token.organisation_id or not user.active:
        raise Invalid(_("Det finns ingen aktiv användare %(username)s.", username=username))
    return user


def _bilagor(items: list[dict[str, Any]]) -> list[CheckedPdf]:
    """The base64 PDFs decoded and checked like an upload; too long is refused unread."""
    max_bytes = current_app.config["BILAGA_MAX_BYTES"]
    checked = []
    for item in items:
        encoded = "".join(item["content"].split())
        if len(encoded) > 4 * (max_bytes // 3 + 1):
            raise Invalid(
                _(
                    "Filen %(name)s är för stor; en bilaga får vara högst %(mb)d MB.",
                    name=item["filename"],
                    mb=max_bytes // (1024 * 1024),
                )
            )
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise Invalid(
                _("Bilagan %(name)s är inte base64-kodad.", name=item["filename"])
            ) from None
        pdf = check_pdf(item["filename"], data)
        if item.get("title"):
            pdf = dataclasses.replace(pdf, title=item["title"])
        checked.append(pdf)
    return checked


def _content(data: dict[str, Any]) -> DraftContent:
    return DraftContent(
        rubrik=data["rubrik"],
        underrubrik=data["underrubrik"],
        meeting_date=data["meeting_date"],
        subsections=[(s["title"], s["text"]) for s in data["subsections"]],
        **{name: data[name] for name in SECTION_FIELDS},
    )


# --- what a memo looks like --------------------------------------------------------------


def _person(user: User | None) -> dict[str, str] | None:
    return None if user is None else {"username": user.username, "full_name": user.full_name}


def summary(memo: Memo) -> dict[str, Any]:
    return {
        "id": memo.id,
        "dnr": memo.dnr,
        "diarium_dnr": memo.diarium_dnr,
        "state": memo.state,
        "state_title": state_title(memo),
        "lock_version": memo.lock_version,
        "rubrik": memo.latest_version.rubrik,
        "author": _person(memo.author),
        "created_at": memo.created_at,
        "updated_at": memo.updated_at,
    }


def detail(memo: Memo) -> dict[str, Any]:
    version = memo.latest_version
    sent = State(memo.state) is not State.UTKAST
    attested = State(memo.state) is State.ATTESTERAD
    links = {
        "self": url_for("api_memos.memo", memo_id=memo.id, _external=True),
        "state": url_for("api_memos.state", memo_id=memo.id, _external=True),
        "route": url_for("api_memos.route", memo_id=memo.id, _external=True),
        "history": url_for("api_memos.memo_history", memo_id=memo.id, _external=True),
        "frozen_pdf": (
            url_for("api_memos.frozen_pdf", memo_id=memo.id, _external=True) if sent else None
        ),
        "attested_pdf": (
            url_for("api_memos.attested_pdf", memo_id=memo.id, _external=True) if attested else None
        ),
        "verification": (
            url_for("api_memos.verification", memo_id=memo.id, _external=True) if sent else None
        ),
    }
    return {
        **summary(memo),
        "version": version.number,
        "underrubrik": version.underrubrik,
        "meeting_date": version.meeting_date,
        "subsections": [{"title": t, "text": x} for t, x in version.subsections],
        "bilagor": version.attachments,
        "links": links,
        **{name: getattr(version, name) for name in SECTION_FIELDS},
    }


# --- cursors: the last id of a page, opaque to the caller -----------------------------------


def encode_cursor(memo_id: int) -> str:
    return base64.urlsafe_b64encode(f"memo:{memo_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _sep, number = text.partition(":")
        if kind == "memo" and number.isdigit() and len(number) < 12:
            return int(number)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        pass
    raise Invalid(_("Ogiltig cursor: använd next_cursor från föregående sida."))


# --- the routes ---------------------------------------------------------------------------


@bp.route("/", methods=["GET"], endpoint="memos")
@bp.arguments(schemas.ListArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.MemoPage)
@requires(READ)
def list_memos(
    limit: int,
    state: str | None = None,
    author: str | None = None,
    dnr: str | None = None,
    updated_since: Any = None,
    cursor: str | None = None,
):
    """The organisation's memos, oldest first, a page at a time (cursor pagination)."""
    from attest.workflow.worklists import _parse_dnr

    statement = sa.select(Memo).where(Memo.organisation_id == g.api_token.organisation_id)
    if state:
        statement = statement.where(Memo.state == state)
    if author:
        statement = statement.join(User, User.id == Memo.author_id).where(User.username == author)
    if dnr:
        wanted = " ".join(dnr.split())
        parsed = _parse_dnr(wanted)
        matches = [Memo.diarium_dnr == wanted]
        if parsed is not None:
            matches.append(sa.and_(Memo.dnr_year == parsed[0], Memo.dnr_serial == parsed[1]))
        statement = statement.where(sa.or_(*matches))
    if updated_since is not None:
        statement = statement.where(Memo.updated_at > updated_since)
    if cursor:
        statement = statement.where(Memo.id > decode_cursor(cursor))
    rows = list(db.session().scalars(statement.order_by(Memo.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [summary(memo) for memo in rows],
        "next_cursor": encode_cursor(rows[-1].id) if more and rows else None,
    }


@bp.route("/", methods=["POST"], endpoint="create")
@bp.arguments(schemas.DraftCreate)
@bp.response(201, schemas.MemoOut)
@requires(WRITE)
def create(data: dict[str, Any]):
    """A new draft for a handläggare (``author``), with its bilagor; she finds it among
    her memos. The diarienummer is attest's; the diarium's Dnr is set separately."""
    author = get_author(data["author"])
    memo = create_memo(author, _content(data), _bilagor(data["bilagor"]))
    db.session().commit()
    location = url_for("api_memos.memo", memo_id=memo.id)
    return detail(memo), 201, {"Location": location}


@bp.route("/<int:memo_id>", methods=["GET"], endpoint="memo")
@bp.response(200, schemas.MemoOut)
@requires(READ)
def read(memo_id: int):
    """The memo: its latest version's content and bilagor, its state, links."""
    return detail(get_memo(memo_id))


@bp.route("/<int:memo_id>", methods=["PUT"], endpoint="update")
@bp.arguments(schemas.DraftUpdate)
@bp.response(200, schemas.MemoOut)
@requires(WRITE)
def update(data: dict[str, Any], memo_id: int):
    """Save a draft as a new version, for its handläggare: the whole content replaces the
    last; bilagor stay unless named in remove_bilagor, new ones come last. 409 when the
    memo changed since lock_version, or is no longer a draft."""
    memo = get_memo(memo_id)
    if State(memo.state) is not State.UTKAST:
        raise Conflict(
            _("Tjänsteutlåtandet är skickat för attest och kan inte ändras: det är inget utkast.")
        )
    if data["lock_version"] != memo.lock_version:
        raise Conflict(STALE_MEMO)  # before anything else: what it names may be gone
    current = {a.id: a for a in memo.latest_version.attachments}
    removed = set(data["remove_bilagor"])
    unknown = sorted(removed - current.keys())
    if unknown:
        raise Invalid(_("Bilagan %(id)s finns inte i utkastet.", id=unknown[0]))
    edits = [
        AttachmentEdit(a.id, a.title, a.position, remove=True)
        for a in current.values()
        if a.id in removed
    ]
    save_draft(
        memo,
        memo.author,
        _content(data),
        edits=edits,
        uploads=_bilagor(data["bilagor"]),
        expected_lock_version=data["lock_version"],
    )
    db.session().commit()
    return detail(memo)


@bp.route("/<int:memo_id>/dnr", methods=["PUT"], endpoint="dnr")
@bp.arguments(schemas.DnrIn)
@bp.response(200, schemas.MemoOut)
@requires(WRITE)
def put_dnr(data: dict[str, Any], memo_id: int):
    """Set the diarium's Dnr (null removes it): only on a draft, unique in the organisation;
    the PDF frozen when it is sent prints it instead of attest's diarienummer."""
    memo = get_memo(memo_id)
    set_diarium_dnr(memo, data["diarium_dnr"], expected_lock_version=data["lock_version"])
    db.session().commit()
    return detail(memo)


@bp.route("/<int:memo_id>/state", methods=["GET"], endpoint="state")
@bp.response(200, schemas.StateOut)
@requires(READ)
def state(memo_id: int):
    """Where the memo stands: its state, whose turn it is, the submission being attested."""
    memo = get_memo(memo_id)
    submission = active_submission(memo)
    return {
        "state": memo.state,
        "state_title": state_title(memo, submission),
        "lock_version": memo.lock_version,
        "submission": (
            None
            if submission is None
            else {
                "number": submission.number,
                "version": submission.version.number,
                "status": submission.status,
                "current_step": submission.current_position,
                "waiting_since": submission.step_waiting_since,
                "frozen_pdf_sha256": submission.frozen_pdf_sha256,
                "current_pdf_sha256": submission.current_pdf_sha256,
                "verification_code": submission.verification_code,
            }
        ),
    }


@bp.route("/<int:memo_id>/route", methods=["GET"], endpoint="route")
@bp.response(200, schemas.RouteOut)
@requires(READ)
def route(memo_id: int):
    """The attestation route: the steps fixed when it was sent, with who attested when;
    for a draft the route that applies if it is sent now (planned: true)."""
    memo = get_memo(memo_id)
    submission = active_submission(memo)
    if submission is None:
        steps = [
            {
                "position": step.position,
                "role": step.role.code,
                "role_title": step.role.title,
                "assignee": _person(step.preselected),
                "current": False,
                "attestation": None,
            }
            for step in plan(memo)
        ]
        return {"planned": True, "steps": steps}
    lines = []
    for step in submission.steps:
        attestation = submission.attestation_for(step.position)
        lines.append(
            {
                "position": step.position,
                "role": step.role_code,
                "role_title": step.role_title,
                "assignee": _person(step.assignee),
                "current": step.position == submission.current_position,
                "attestation": (
                    None
                    if attestation is None
                    else {
                        "signer": _person(attestation.signer),
                        "name": attestation.signer_name,
                        "title": attestation.signer_title,
                        "attested_at": attestation.attested_at,
                        "timestamp_at": attestation.timestamp_at,
                        "certificate_sha256": attestation.certificate_sha256,
                    }
                ),
            }
        )
    return {"planned": False, "steps": lines}


@bp.route("/<int:memo_id>/history", methods=["GET"], endpoint="memo_history")
@bp.response(200, schemas.HistoryPage)
@requires(READ)
def memo_history(memo_id: int):
    """Every transition: who, for whom, when, with what comment."""
    memo = get_memo(memo_id)
    return {
        "items": [
            {
                "action": entry.action,
                "action_title": TRANSITIONS[Action(entry.action)].title,
                "from_state": entry.from_state,
                "to_state": entry.to_state,
                "actor": _person(entry.actor),
                "acting_for": _person(entry.acting_for),
                "created_at": entry.created_at,
                "comment": entry.comment,
                "version": entry.version_number,
                "step": entry.step_position,
            }
            for entry in history(memo)
        ]
    }


def _pdf(data: bytes, filename: str):
    return send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=filename,
        etag=False,
        max_age=0,
    )


@bp.route("/<int:memo_id>/frozen.pdf", methods=["GET"], endpoint="frozen_pdf")
@bp.doc(responses={"200": PDF})
@requires(READ)
def frozen_pdf(memo_id: int):
    """The PDF frozen when the memo was sent: what every attester saw and signed (404 for a
    draft)."""
    memo = get_memo(memo_id)
    submission = active_submission(memo)
    if submission is None:
        raise NotFound(_("Tjänsteutlåtandet är ett utkast: det har ingen fryst PDF."))
    data = blobs.store().get(submission.frozen_pdf_sha256)
    return _pdf(data, pdf_filename(memo, f"-fryst-{submission.number}"))


@bp.route("/<int:memo_id>/attested.pdf", methods=["GET"], endpoint="attested_pdf")
@bp.doc(responses={"200": PDF})
@requires(READ)
def attested_pdf(memo_id: int):
    """The attested PDF: every attestation, the closing seal and the archive timestamp (404
    until the memo is attested)."""
    memo = get_memo(memo_id)
    submission = active_submission(memo)
    if submission is None or submission.status != "attested":
        raise NotFound(_("Tjänsteutlåtandet är inte attesterat än."))
    data = blobs.store().get(submission.current_pdf_sha256)
    return _pdf(data, pdf_filename(memo, "-attesterad"))


@bp.route("/<int:memo_id>/verification", methods=["GET"], endpoint="verification")
@bp.response(200, schemas.VerificationOut)
@requires(READ)
def verification(memo_id: int):
    """The verification report on the memo's current PDF: the facts ``attest verify
    --json`` gives, with the organisation's CA and CRL, and the comparison with the
    records (404 for a draft)."""
    from attest.verify.records import verify_with_records

    memo = get_memo(memo_id)
    submission = active_submission(memo)
    if submission is None:
        raise NotFound(_("Tjänsteutlåtandet är ett utkast: det finns inget att verifiera."))
    data = blobs.store().get(submission.current_pdf_sha256)
    result, _comparison = verify_with_records(data, memo.organisation, submission=submission)
    return result.to_dict()
