"""Workflow actions on a memo, the register of attested memos, and the outbox."""

from __future__ import annotations

import io
from functools import partial
from typing import Callable

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from attest import blobs, db
from attest.auth import ratelimit
from attest.errors import Conflict, Invalid
from attest.i18n import _l
from attest.memos.operations import get_memo
from attest.memos.rendering import pdf_filename
from attest.signservice.operations import signs_through_service
from attest.sso.identity import consume_step_up, signs_in_through_provider
from attest.sso.views import STEP_UP_DONE
from attest.users import roles
from attest.users.operations import (
    OWN_PASSWORD_REQUIRED,
    must_choose_own_password,
    uses_signing_pin,
)
from attest.web import ERROR_TITLES
from attest.workflow import operations, panel, worklists
from attest.workflow.definition import TRANSITIONS, Action
from attest.workflow.engine import available, state_title
from attest.workflow.forms import (
    AttestForm,
    DeleteDraftForm,
    ReturnForm,
    SendForm,
    WithdrawForm,
)
from attest.workflow.hooks import PasswordRejected
from attest.workflow.models import OutboxMail
from attest.workflow.routes import plan
from attest.workflow.submissions import active_submission

bp = Blueprint("workflow", __name__)

DONE = {
    Action.SKICKA: _l("Tjänsteutlåtandet är skickat för attest."),
    Action.ATTESTERA: _l("Du har attesterat tjänsteutlåtandet."),
    Action.RETURNERA: _l("Tjänsteutlåtandet är returnerat till handläggaren."),
    Action.ATERKALLA: _l("Tjänsteutlåtandet är återkallat och är ett utkast igen."),
    Action.RADERA: _l("Utkastet är raderat."),
}


def _perform(memo, action: Action, form, operation: Callable[[], object]):
    """Apply the operation and show the memo; a refusal comes back as a page to act on.

    A reason the person can fix (a person to choose, a password) returns the form with it
    (400); someone else's change first (409) says so and links to the memo as it is now.
    """
    try:
        operation()
    except Invalid as exc:
        db.session().rollback()
        return _refused(memo, action, form, exc.message)
    except Conflict as exc:
        db.session().rollback()
        page = render_template(
            "workflow/conflict.html", memo=memo, title=ERROR_TITLES[409], message=exc.message
        )
        return page, 409
    return _done(memo, action)


def _done(memo, action: Action):
    db.session().commit()  # the mails it queued go out with the worker (attest worker)
    flash(str(DONE[action]), "success")
    if action is Action.RADERA:  # the memo's page is gone with it
        return redirect(url_for("start.index"))
    return redirect(url_for("memos.show", memo_id=memo.id))


def _refused(memo, action: Action, form, message: str | None = None):
    """The action's own page with the form, the input and its errors (400)."""
    return (
        render_template(
            "workflow/action.html",
            memo=memo,
            action=action.value,
            title=TRANSITIONS[action].title,
            form=form,
            steps=getattr(form, "_steps", None),
            message=message,
        ),
        400,
    )


@bp.route("/memos/<int:memo_id>/skicka", methods=["POST"])
@login_required
def send(memo_id: int):
    memo = get_memo(memo_id, current_user)
    steps = plan(memo)
    form = SendForm.for_plan(steps)
    form._steps = steps
    if not form.validate_on_submit():
        return _refused(memo, Action.SKICKA, form)
    return _perform(
        memo,
        Action.SKICKA,
        form,
        partial(
            operations.submit_memo,
            memo,
            current_user,
            form.assignees(steps),
            expected_lock_version=form.expected_lock_version(),
        ),
    )


@bp.route("/memos/<int:memo_id>/attestera", methods=["POST"])
@login_required
def attest(memo_id: int):
    memo = get_memo(memo_id, current_user)
    form = AttestForm()
    if uses_signing_pin(current_user):
        form.use_signing_pin()
    if not form.validate_on_submit():
        return _refused(memo, Action.ATTESTERA, form)
    if signs_through_service(current_user):  # no password: the service authenticates them
        return _perform_begin(memo, form)
    if must_choose_own_password(current_user):  # no password is tried, nothing counted
        page = render_template(
            "errors/error.html",
            status=403,
            title=ERROR_TITLES[403],
            message=OWN_PASSWORD_REQUIRED,
            link=(url_for("users.change_password"), _l("Byt lösenord")),
        )
        return page, 403
    reservation = ratelimit.reserve_attestation(current_user)  # before the password is tried
    if isinstance(reservation, ratelimit.Throttle):
        ratelimit.record_refused_attestation(current_user, memo)
        db.session().commit()
        return _throttled(memo, form, reservation)

    def attempt() -> None:
        step_up = None
        if signs_in_through_provider(current_user):  # used once, with the attestation
            step_up = consume_step_up(
                form.step_up.data or "", current_user, current_user.session_token or "", memo.id
            )
        operations.attest_memo(
            memo,
            current_user,
            password=form.password.data or None,
            step_up=step_up,
            expected_lock_version=form.expected_lock_version(),
        )
        ratelimit.release(reservation)  # a success: committed with the attestation
        session.pop(STEP_UP_DONE, None)

    try:
        response = _perform(memo, Action.ATTESTERA, form, attempt)
    except PasswordRejected as exc:
        db.session().rollback()  # nothing signed; the failed attempt is counted on its own
        count = operations.record_failed_attestation(memo, current_user)
        db.session().commit()
        form.password.errors.append(
            _(
                "%(message)s (misslyckade försök senaste timmen: %(count)d)",
                message=exc.message,
                count=count,
            )
        )
        throttle = reservation.throttle_after_failure()
        if throttle is not None:  # that was the last try for now: say so at once
            return _throttled(memo, form, throttle)
        return _refused(memo, Action.ATTESTERA, form)
    except Exception:  # refused for another reason (403, ...): not a wrong password
        db.session().rollback()
        _give_back(reservation)
        raise
    if isinstance(response, tuple):  # refused before the password mattered (400, 409)
        _give_back(reservation)
    return response


def _perform_begin(memo, form):
    from attest.signservice.views import begin_page

    try:
        return begin_page(memo, form)
    except Invalid as exc:
        db.session().rollback()
        return _refused(memo, Action.ATTESTERA, form, exc.message)
    except Conflict as exc:
        db.session().rollback()
        page = render_template(
            "workflow/conflict.html", memo=memo, title=ERROR_TITLES[409], message=exc.message
        )
        return page, 409


def _give_back(reservation: ratelimit.Reservation) -> None:
    ratelimit.release(reservation)
    db.session().commit()


def _throttled(memo, form, throttle: ratelimit.Throttle):
    """The attest form again, with how long to wait (429)."""
    page, _ = _refused(memo, Action.ATTESTERA, form, throttle.message)
    return page, 429, {"Retry-After": str(throttle.seconds)}


@bp.route("/memos/<int:memo_id>/attesterad.pdf")
@login_required
def attested_pdf(memo_id: int):
    """ "Ladda ner attesterad PDF": the bytes every attester signed, sealed for the archive."""
    memo = get_memo(memo_id, current_user)
    submission = active_submission(memo)
    if submission is None or submission.status != "attested":
        abort(404)
    return send_file(
        io.BytesIO(blobs.store().get(submission.current_pdf_sha256)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=pdf_filename(memo, "-attesterad"),
        max_age=0,
    )


@bp.route("/memos/<int:memo_id>/returnera", methods=["POST"])
@login_required
def return_(memo_id: int):
    memo = get_memo(memo_id, current_user)
    form = ReturnForm()
    if not form.validate_on_submit():
        return _refused(memo, Action.RETURNERA, form)
    return _perform(
        memo,
        Action.RETURNERA,
        form,
        partial(
            operations.return_memo,
            memo,
            current_user,
            form.comment.data or "",
            expected_lock_version=form.expected_lock_version(),
        ),
    )


@bp.route("/memos/<int:memo_id>/aterkalla", methods=["GET", "POST"])
@login_required
def withdraw(memo_id: int):
    """Återkalla, after a page that asks to confirm it and for a reason (optional)."""
    memo = get_memo(memo_id, current_user)
    if request.method == "GET":
        return _confirmation(memo, Action.ATERKALLA, WithdrawForm(formdata=None))
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _refused(memo, Action.ATERKALLA, form)
    return _perform(
        memo,
        Action.ATERKALLA,
        form,
        partial(
            operations.withdraw_memo,
            memo,
            current_user,
            form.comment.data or "",
            expected_lock_version=form.expected_lock_version(),
        ),
    )


@bp.route("/memos/<int:memo_id>/radera", methods=["GET", "POST"])
@login_required
def delete_draft(memo_id: int):
    """Radera utkastet, after a page that asks to confirm it; then the start page."""
    memo = get_memo(memo_id, current_user)
    if request.method == "GET":
        return _confirmation(memo, Action.RADERA, DeleteDraftForm(formdata=None))
    form = DeleteDraftForm()
    if not form.validate_on_submit():
        return _refused(memo, Action.RADERA, form)
    return _perform(
        memo,
        Action.RADERA,
        form,
        partial(
            operations.delete_draft,
            memo,
            current_user,
            expected_lock_version=form.expected_lock_version(),
        ),
    )


def _confirmation(memo, action: Action, form):
    """The page that asks "are you sure?"; only for someone who may take the action now."""
    if action not in {t.action for t in available(memo, current_user)}:
        abort(403)
    form.lock_version.data = str(memo.lock_version)
    return render_template(
        "workflow/confirm.html",
        memo=memo,
        action=action.value,
        title=TRANSITIONS[action].title,
        form=form,
    )


@bp.route("/attesterade")
@login_required
def register():
    if not current_user.has_role(roles.REGISTRATOR):
        abort(403)
    query = request.args.get("q", "")
    result = worklists.attested_register(
        current_user, query, page_number("sida"), current_app.config["REGISTER_PAGE_SIZE"]
    )
    return render_template("workflow/register.html", result=result, query=query)


OUTBOX_PAGE_SIZE = 50


@bp.route("/utkorg")
@login_required
def outbox():
    if not current_user.has_role(roles.ADMINISTRATOR):
        abort(403)
    mails = worklists.paginate(
        sa.select(OutboxMail).where(OutboxMail.organisation_id == current_user.organisation_id),
        (OutboxMail.id.desc(),),
        page_number("sida"),
        OUTBOX_PAGE_SIZE,
    )
    return render_template("workflow/outbox.html", mails=mails)


def page_number(name: str) -> int:
    """The page asked for in the query string (?sida=2); 1 for anything else."""
    return request.args.get(name, 1, type=int) or 1


def _worklist() -> worklists.Page:
    """The start page's "Att attestera", at the page asked for (?vantar=2)."""
    return worklists.worklist(current_user._get_current_object(), page_number("vantar"))


@bp.app_template_filter("state_title")
def _state_title(memo) -> str:
    """ "Utkast", "Hos avdelningschef", "Attesterad": what a memo's state reads as."""
    return state_title(memo)


@bp.app_context_processor
def _workflow_globals():
    return {
        "workflow_panel": panel.build,
        "return_notice": panel.return_notice,
        "worklist": _worklist,
        "ACTION_TITLES": panel.TITLES,
        "ACTION_PAST": panel.PAST_TENSE,
    }
