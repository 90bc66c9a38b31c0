"""The register page's "Exportera till arkivet": the period's SIPs as one zip download.

Bounded work per request: at most MAX_WEB_PACKAGES memos per download (the CLI takes any
number); the zip is built one package at a time in a spooled temporary file (in memory up
to a few megabytes, on disk after that), never the whole period in memory.
"""

from __future__ import annotations

import tempfile
import unicodedata

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DateField, SubmitField
from wtforms.validators import InputRequired, ValidationError

from attest import db
from attest.archive.operations import Period, attested_in, export_zip
from attest.i18n import _l
from attest.users import roles

bp = Blueprint("archive", __name__)

MAX_WEB_PACKAGES = 50  # TOO_MANY names it
INVALID_DATE = _l("Ange datum som ÅÅÅÅ-MM-DD.")
NOTHING = _l("Inga tjänsteutlåtanden attesterades under perioden.")
TOO_MANY = _l(
    "Perioden har fler än 50 attesterade tjänsteutlåtanden, det mesta som exporteras här åt "
    "gången. Välj en kortare period, eller använd kommandot attest archive export."
)


class ExportForm(FlaskForm):
    since = DateField(
        "Från", validators=[InputRequired(_l("Ange periodens första dag."))],
        invalid_value_message=INVALID_DATE,
    )  # fmt: skip
    until = DateField(
        "Till", validators=[InputRequired(_l("Ange periodens sista dag."))],
        invalid_value_message=INVALID_DATE,
    )  # fmt: skip
    submit = SubmitField("Exportera till arkivet")

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("Periodens slutdatum ligger före startdatumet."))


def can_export(user) -> bool:
    return user.has_role(roles.REGISTRATOR) or user.has_role(roles.ADMINISTRATOR)


@bp.route("/attesterade/arkiv", methods=["POST"])
@login_required
def export():
    """The organisation's memos attested in the period, one E-ARK SIP each, in a zip."""
    if not can_export(current_user):
        abort(403)
    form = ExportForm()
    back = redirect(url_for("workflow.register"))
    if not form.validate_on_submit():
        for field in (form.since, form.until):
            for message in field.errors:
                flash(str(message), "error")
        if form.csrf_token.errors:
            abort(400)
        return back
    organisation = current_user.organisation
    period = Period(form.since.data, form.until.data)
    from sqlalchemy import func, select

    count = db.session().scalar(
        select(func.count()).select_from(attested_in(organisation, period).subquery())
    )
    if not count:
        flash(str(NOTHING), "error")
        return back
    if count > MAX_WEB_PACKAGES:
        flash(str(TOO_MANY), "error")
        return back
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    export_zip(organisation, period, spool, actor=current_user)
    db.session().commit()
    spool.seek(0)
    code = unicodedata.normalize("NFKD", organisation.code).encode("ascii", "ignore").decode()
    name = f"arkiv-{code or 'org'}-{period.since.isoformat()}--{period.until.isoformat()}.zip"
    current_app.logger.info("archive export: %s packages", count)
    return send_file(spool, mimetype="application/zip", as_attachment=True, download_name=name)


def export_form() -> ExportForm | None:
    """The form the register page shows, to those who may export."""
    if not can_export(current_user):
        return None
    form = ExportForm(formdata=None)
    from attest import clock

    today = clock.today()
    form.since.data = today.replace(day=1)
    form.until.data = today
    return form


@bp.app_context_processor
def _archive_globals():
    return {"archive_export_form": export_form if request else None}
