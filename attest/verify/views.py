"""The verify pages: "Verifiera" (upload an attested PDF), the /v/<code> link printed in every
frozen PDF's footer, and the registrator's bulk check of a period ("Verifiera alla").

Imported only by create_app: attest.verify itself stays free of Flask for the offline tool.
The checks are attest.verify.core's and attest.verify.records'; the page shows their
verdict first, then who attested what and when, then every check and why.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import FileStorage
from wtforms import BooleanField, DateField, SubmitField
from wtforms.validators import InputRequired, Optional, ValidationError

from attest import audit, blobs, clock, db, i18n
from attest.auth import ratelimit
from attest.i18n import _l
from attest.memos.bilagor import safe_filename
from attest.signing.sign import ARCHIVE_TIMESTAMP_FIELD, CERTIFICATION_FIELD
from attest.users import roles
from attest.verify import public
from attest.verify.core import Check, VerificationResult
from attest.verify.records import Comparison, verify_with_records
from attest.verify.report import (
    LANGUAGES,
    STATUS_SYMBOLS,
    check_title,
    format_time,
    verdict_title,
)
from attest.web import ERROR_TITLES
from attest.workflow.submissions import by_verification_code

bp = Blueprint("verify", __name__)

PERFORMED = "verification:performed"
COPY_STORED = "verification:copy:stored"

CHOOSE_FILE = _l("Välj en PDF-fil att verifiera.")
EMPTY_FILE = _l("Filen är tom. Välj den attesterade PDF-filen.")
UNTIL_BEFORE_SINCE = _l("Till-datumet får inte vara före från-datumet.")
SINCE_REQUIRED = _l("Ange från vilket datum tjänsteutlåtandena ska verifieras.")
INVALID_DATE = _l("Ange datumet som ÅÅÅÅ-MM-DD.")


def _too_large(max_bytes: int) -> str:
    size = f"{max_bytes / (1024 * 1024):.0f} MB"
    return _("Filen är för stor: en PDF att verifiera får vara högst %(size)s.", size=size)


class VerifyForm(FlaskForm):
    pdf = FileField(
        _l("PDF-fil"),
        validators=[FileRequired(CHOOSE_FILE)],
        render_kw={"accept": "application/pdf,.pdf"},
    )
    keep_copy = BooleanField(_l("Spara en kopia av filen"))
    submit = SubmitField(_l("Verifiera"))


class CopyForm(FlaskForm):
    """The public page's upload: a copy of the memo to compare (never stored)."""

    pdf = FileField(
        lazy_gettext("Din PDF-fil"),
        validators=[FileRequired(lazy_gettext("Välj en PDF-fil att jämföra."))],
        render_kw={"accept": "application/pdf,.pdf"},
    )


class BulkForm(FlaskForm):
    since = DateField(
        _l("Från"), validators=[InputRequired(SINCE_REQUIRED)], invalid_value_message=INVALID_DATE
    )
    until = DateField(_l("Till"), validators=[Optional()], invalid_value_message=INVALID_DATE)
    submit = SubmitField(_l("Verifiera alla"))

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(UNTIL_BEFORE_SINCE)


def _require_registrator() -> None:
    if not current_user.has_role(roles.REGISTRATOR):
        abort(403)


# --- One file -----------------------------------------------------------------------------


@bp.route("/verifiera", methods=["GET", "POST"])
@login_required
def index():
    """The upload form; its POST verifies the file and shows the report (never stored
    unless "Spara en kopia av filen" is ticked)."""
    _require_registrator()
    form = VerifyForm()
    if request.method == "GET":
        return _form_page(form)
    if not form.validate_on_submit():
        return _form_page(form, 400)
    upload: FileStorage = form.pdf.data
    max_bytes = current_app.config["BILAGA_MAX_BYTES"]
    data = upload.stream.read(max_bytes + 1)  # one byte more is enough to know
    if len(data) > max_bytes:
        return _refuse(form, _too_large(max_bytes), 413)
    if not data:
        return _refuse(form, EMPTY_FILE, 400)

    organisation = current_user.organisation
    result, comparison = verify_with_records(data, organisation)
    filename = safe_filename(upload.filename or "", fallback="dokument.pdf")
    _record(result, comparison, source="upload", filename=filename)
    if result.unusable or result.refused:
        db.session().commit()
        code = "file_is_pdf" if result.unusable else "within_limits"
        reason = next(c for c in result.checks if c.code == code)
        return _refuse(form, reason.text(_lang()), 400 if result.unusable else 422)
    stored = None
    if form.keep_copy.data:
        stored = blobs.store().put(data)
        audit.record(
            COPY_STORED,
            actor=current_user,
            organisation=organisation,
            data={"sha256": stored, "size": len(data), "filename": filename},
        )
    db.session().commit()
    return _report_page(result, comparison, filename=filename, stored=stored)


@bp.route("/v/<verification_code>")
def by_code(verification_code: str):
    """The link in a frozen PDF's footer. The memo's organisation sees the full report on
    the stored copy (attested or still being attested); anyone else, without a login, what
    attest.verify.public shows of an attested memo, and 404 for any other code."""
    submission = by_verification_code(verification_code[:32])
    if submission is not None and _member_of(submission):
        data = blobs.store().get(submission.current_pdf_sha256)
        organisation = current_user.organisation
        result, comparison = verify_with_records(data, organisation, submission=submission)
        _record(result, comparison, source="link", filename="")
        db.session().commit()
        return _report_page(result, comparison, filename="", stored=None, linked=submission)
    throttled = _public_throttle()
    if throttled is not None:
        return throttled
    submission = public.attested_submission(verification_code)
    if submission is None:
        abort(404)
    report = public.public_report(submission)
    public.record_look(report, actor=_actor())
    db.session().commit()
    return _public_page(report, CopyForm())


@bp.route("/v/<verification_code>/kopia", methods=["POST"])
def check_copy(verification_code: str):
    """A copy uploaded on the public page: is it the attested PDF, or a valid copy of it?"""
    throttled = _public_throttle()
    if throttled is not None:
        return throttled
    submission = public.attested_submission(verification_code)
    if submission is None:
        abort(404)
    form = CopyForm()
    if not form.validate_on_submit():
        return _public_page(public.public_report(submission), form, status=400)
    max_bytes = current_app.config["BILAGA_MAX_BYTES"]
    data = form.pdf.data.stream.read(max_bytes + 1)  # one byte more is enough to know
    if len(data) > max_bytes:
        form.pdf.errors = [_too_large(max_bytes)]
        return _public_page(public.public_report(submission), form, status=413)
    if not data:
        form.pdf.errors = [EMPTY_FILE]
        return _public_page(public.public_report(submission), form, status=400)
    report = public.public_report(submission)
    copy = public.check_copy(data, submission)
    if copy.result is not None and (copy.result.unusable or copy.result.refused):
        code = "file_is_pdf" if copy.result.unusable else "within_limits"
        reason = next(c for c in copy.result.checks if c.code == code)
        form.pdf.errors = [reason.text(_lang())]
        return _public_page(report, form, status=400 if copy.result.unusable else 422)
    public.record_look(report, actor=_actor(), copy=copy)
    db.session().commit()
    return _public_page(report, CopyForm(formdata=None), copy=copy)


@bp.route("/v")
def lookup():
    """The "Verifieringskod" field: the code (or the whole printed link) to its page."""
    typed = request.args.get("kod", "")
    code = public.code_from(typed) if typed else None
    if code is not None:
        return redirect(url_for("verify.by_code", verification_code=code))
    page = render_template("verify/lookup.html", typed=typed, invalid=bool(typed))
    return page, 400 if typed else 200


def _member_of(submission) -> bool:
    return bool(
        current_user.is_authenticated
        and submission.memo.organisation_id == current_user.organisation_id
    )


def _actor():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _public_throttle():
    """None, or the 429 page when this address has used up its public verifications."""
    reserved = ratelimit.reserve_public_verification()
    if not isinstance(reserved, ratelimit.Throttle):
        return None
    if ratelimit.first_refusal(ratelimit.PUBLIC_VERIFY):
        audit.record(public.PUBLIC_THROTTLED, actor=_actor(), data={"path": request.path[:200]})
        db.session().commit()
    message = ngettext(
        "För många verifieringar från din adress. Vänta %(num)d minut och försök igen.",
        "För många verifieringar från din adress. Vänta %(num)d minuter och försök igen.",
        reserved.minutes,
    )
    page = render_template(
        "errors/error.html", status=429, title=ERROR_TITLES[429], message=message
    )
    return page, 429, {"Retry-After": str(reserved.seconds)}


def _public_page(
    report: public.PublicReport,
    form: CopyForm,
    *,
    copy: public.CopyCheck | None = None,
    status: int = 200,
):
    lang = _lang()
    page = render_template(
        "verify/public.html",
        report=report,
        form=form,
        copy=copy,
        errors=[(form.pdf.id, m) for m in form.pdf.errors],
        verdict_title=report.result.title(lang),
        copy_verdict_title=copy.result.title(lang) if copy and copy.result else "",
        check_title=lambda check: check_title(check.code, lang),
        format_date=clock.format_date,
        max_megabytes=current_app.config["BILAGA_MAX_BYTES"] // (1024 * 1024),
    )
    return page, status


def _record(
    result: VerificationResult, comparison: Comparison, *, source: str, filename: str
) -> None:
    submission = comparison.submission
    audit.record(
        PERFORMED,
        actor=current_user,
        organisation=current_user.organisation,
        data={
            "verdict": result.verdict,
            "sha256": result.file_sha256,
            "size": result.file_size,
            "source": source,
            "filename": filename,
            "submission": submission.id if submission is not None else None,
            "memo": submission.memo_id if submission is not None else None,
        },
    )


def _form_page(form: VerifyForm, status: int = 200):
    errors = [(form.pdf.id, m) for m in form.pdf.errors]
    page = render_template(
        "verify/index.html",
        form=form,
        errors=errors,
        max_megabytes=current_app.config["BILAGA_MAX_BYTES"] // (1024 * 1024),
        organisation=current_user.organisation,
    )
    return page, status


def _refuse(form: VerifyForm, message: str, status: int):
    """The form again with why the file was not verified; nothing is kept of it."""
    form.pdf.errors = [*form.pdf.errors, message]
    return _form_page(form, status)


def _lang() -> str:
    language = i18n.current_language()
    return language if language in LANGUAGES else "sv"


# --- The report's layout --------------------------------------------------------------------


@dataclass
class CheckGroup:
    """Checks under one heading: the whole document, one signature, or the records."""

    kind: str  # "document" | "seal" | "step" | "archive" | "signature" | "records"
    subject: str
    signer: str = ""
    checks: list[tuple[int, Check]] = field(default_factory=list)


def check_groups(result: VerificationResult) -> list[CheckGroup]:
    """The checks grouped as the report shows them, each numbered for in-page links."""
    signers = {a.field_name: a.signer_name for a in result.attestations}
    groups: dict[tuple[str, str], CheckGroup] = {}
    for number, check in enumerate(result.checks, start=1):
        if check.code == "records":
            key = ("records", "")
        elif not check.subject:
            key = ("document", "")
        elif check.subject == CERTIFICATION_FIELD:
            key = ("seal", check.subject)
        elif check.subject.startswith(ARCHIVE_TIMESTAMP_FIELD):
            key = ("archive", check.subject)
        elif check.subject in signers:
            key = ("step", check.subject)
        else:
            key = ("signature", check.subject)
        group = groups.get(key)
        if group is None:
            group = groups[key] = CheckGroup(key[0], key[1], signers.get(key[1], ""))
        group.checks.append((number, check))
    return list(groups.values())


def _report_page(
    result: VerificationResult,
    comparison: Comparison,
    *,
    filename: str,
    stored: str | None,
    linked=None,
):
    lang = _lang()
    failed = [(n, c) for n, c in enumerate(result.checks, start=1) if c.status == "failed"]
    undecided = [
        (n, c)
        for n, c in enumerate(result.checks, start=1)
        if c.status == "not_checked" and c.code != "records"
    ]
    records_known = comparison.submission is not None
    return render_template(
        "verify/report.html",
        result=result,
        comparison=comparison,
        submission=comparison.submission,
        linked=linked,
        filename=filename,
        stored=stored,
        lang=lang,
        verdict_title=result.title(lang),
        groups=check_groups(result),
        failed=failed,
        undecided=undecided,
        records_known=records_known,
        check_title=lambda check: check_title(check.code, lang),
        symbols=STATUS_SYMBOLS,
        format_time=format_time,
        organisation=current_user.organisation,
    )


# --- Every attested memo of a period --------------------------------------------------------


@bp.route("/verifiera/alla", methods=["GET", "POST"])
@login_required
def bulk():
    """The registrator's check of every memo attested in a period, against the records."""
    _require_registrator()
    form = BulkForm()
    if request.method == "GET":
        today = clock.today()
        form.since.data = form.since.data or dt.date(today.year, 1, 1)
        form.until.data = form.until.data or today
        return _bulk_page(form)
    if not form.validate_on_submit():
        return _bulk_page(form, status=400)
    from attest.verify.bulk import record_run, verify_all

    organisation = current_user.organisation
    report = verify_all(organisation, form.since.data, form.until.data)
    as_csv = request.form.get("format") == "csv"
    record_run(report, actor=current_user, source="web-csv" if as_csv else "web")
    db.session().commit()
    if as_csv:
        name = f"verifiering-{_ascii(organisation.code)}-{report.since.isoformat()}"
        if report.until:
            name += f"--{report.until.isoformat()}"
        return Response(
            report.to_csv(),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return _bulk_page(form, report=report)


def _bulk_page(form: BulkForm, *, report=None, status: int = 200):
    errors = [(f.id, m) for f in (form.since, form.until) for m in f.errors]
    page = render_template(
        "verify/bulk.html",
        form=form,
        errors=errors,
        report=report,
        check_title=lambda check: check_title(check.code, _lang()),
        verdict_title=lambda verdict: verdict_title(verdict, _lang()),
        format_time=format_time,
        lang=_lang(),
        organisation=current_user.organisation,
    )
    return page, status


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode() or "org"
