"""Workflow actions on a memo, the register of attested memos, and the outbox."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from attest import db
from attest.memos.operations import get_memo
from attest.users import roles
from attest.workflow import notifications, operations, panel, worklists
from attest.workflow.definition import TRANSITIONS, Action
from attest.workflow.engine import state_title
from attest.workflow.forms import AttestForm, ReturnForm, SendForm, WithdrawForm
from attest.workflow.models import OutboxMail
from attest.workflow.routes import plan

bp = Blueprint("workflow", __name__)

DONE = {
    Action.SKICKA: "Tjänsteutlåtandet är skickat för attest.",
    Action.ATTESTERA: "Du har attesterat tjänsteutlåtandet.",
    Action.RETURNERA: "Tjänsteutlåtandet är returnerat till handläggaren.",
    Action.ATERKALLA: "Tjänsteutlåtandet är återkallat och är ett utkast igen.",
}


def _done(memo, action: Action):
    db.session().commit()
    notifications.send_pending()
    flash(DONE[action], "success")
    return redirect(url_for("memos.show", memo_id=memo.id))


def _refused(memo, action: Action, form):
    """The action's own page with the form, the input and its errors (400)."""
    return (
        render_template(
            "workflow/action.html",
            memo=memo,
            action=action.value,
            title=TRANSITIONS[action].title,
            form=form,
            steps=getattr(form, "_steps", None),
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
    operations.submit_memo(
        memo,
        current_user,
        form.assignees(steps),
        expected_lock_version=form.expected_lock_version(),
    )
    return _done(memo, Action.SKICKA)


@bp.route("/memos/<int:memo_id>/attestera", methods=["POST"])
@login_required
def attest(memo_id: int):
    memo = get_memo(memo_id, current_user)
    form = AttestForm()
    if not form.validate_on_submit():
        return _refused(memo, Action.ATTESTERA, form)
    operations.attest_memo(
        memo,
        current_user,
        password=form.password.data or None,
        expected_lock_version=form.expected_lock_version(),
    )
    return _done(memo, Action.ATTESTERA)


@bp.route("/memos/<int:memo_id>/returnera", methods=["POST"])
@login_required
def return_(memo_id: int):
    memo = get_memo(memo_id, current_user)
    form = ReturnForm()
    if not form.validate_on_submit():
        return _refused(memo, Action.RETURNERA, form)
    operations.return_memo(
        memo,
        current_user,
        form.comment.data or "",
        expected_lock_version=form.expected_lock_version(),
    )
    return _done(memo, Action.RETURNERA)


@bp.route("/memos/<int:memo_id>/aterkalla", methods=["POST"])
@login_required
def withdraw(memo_id: int):
    memo = get_memo(memo_id, current_user)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _refused(memo, Action.ATERKALLA, form)
    operations.withdraw_memo(memo, current_user, expected_lock_version=form.expected_lock_version())
    return _done(memo, Action.ATERKALLA)


@bp.route("/attesterade")
@login_required
def register():
    if not current_user.has_role(roles.REGISTRATOR):
        abort(403)
    query = request.args.get("q", "")
    page = request.args.get("sida", 1, type=int) or 1
    from flask import current_app

    result = worklists.attested_register(
        current_user, query, page, current_app.config["REGISTER_PAGE_SIZE"]
    )
    return render_template("workflow/register.html", result=result, query=query)


@bp.route("/utkorg")
@login_required
def outbox():
    if not current_user.has_role(roles.ADMINISTRATOR):
        abort(403)
    mails = db.session().scalars(
        sa.select(OutboxMail)
        .where(OutboxMail.organisation_id == current_user.organisation_id)
        .order_by(OutboxMail.id.desc())
        .limit(100)
    )
    return render_template("workflow/outbox.html", mails=list(mails))


@bp.app_template_filter("state_title")
def _state_title(memo) -> str:
    """ "Utkast", "Hos avdelningschef", "Attesterad": what a memo's state reads as."""
    return state_title(memo)


@bp.app_context_processor
def _workflow_globals():
    return {
        "workflow_panel": panel.build,
        "waiting_for": worklists.waiting_for,
        "ACTION_TITLES": panel.TITLES,
        "ACTION_PAST": panel.PAST_TENSE,
    }
