"""The memo pages: write a draft, read it and its versions, preview its PDF, fetch a bilaga."""

from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from attest import blobs, db
from attest.blobs import StorageFull
from attest.errors import Conflict, Forbidden, Invalid, NotFound
from attest.i18n import _l
from attest.memos import pdfviewer
from attest.memos.forms import HINTS, EditMemoForm, MemoForm, SearchForm, data_for
from attest.memos.models import Attachment, Memo, MemoVersion
from attest.memos.operations import (
    can_edit,
    check_can_edit,
    create_memo,
    get_memo,
    save_draft,
    set_diarium_dnr,
)
from attest.memos.rendering import pdf_filename, preview_pdf, stored_preview
from attest.memos.sections import SECTIONS
from attest.memos.types import memo_types
from attest.orgs.models import DNR_DIARIUM
from attest.pdf import paragraphs
from attest.users import roles
from attest.workflow import panel, worklists
from attest.workflow.definition import State

bp = Blueprint("memos", __name__, url_prefix="/memos")

CREATE_REFUSED = _l("Bara handläggare kan skapa tjänsteutlåtanden.")


def may_create_memo() -> bool:
    return current_user.is_authenticated and current_user.has_role(roles.HANDLAGGARE)


def check_can_create() -> None:
    if not may_create_memo():
        raise Forbidden(CREATE_REFUSED)


def check_can_edit_here(memo: Memo) -> None:
    """Only the author changes a draft; once sent it is nobody's to change: both are 403."""
    try:
        check_can_edit(current_user, memo)
    except Invalid as exc:
        raise Forbidden(exc.message) from None


def get_version(memo: Memo, number: int) -> MemoVersion:
    version = memo.version(number)
    if version is None:
        raise NotFound(_l("Versionen finns inte."))
    return version


def get_attachment(memo: Memo, attachment_id: int) -> Attachment:
    """A bilaga of any version of this memo; NotFound for any other id."""
    for version in memo.versions:
        for attachment in version.attachments:
            if attachment.id == attachment_id:
                return attachment
    raise NotFound(_l("Bilagan finns inte."))


@bp.app_template_global()
def my_memos():
    """The start page's list of my own memos, newest change first, at the page asked for."""
    if not may_create_memo():
        return None
    return worklists.my_memos(current_user, request.args.get("mina", 1, type=int) or 1)


@bp.app_template_global()
def list_state_titles(memos):
    """How a list says each memo's state ("Returnerad" for a returned draft)."""
    return worklists.list_state_titles(memos)


bp.add_app_template_global(may_create_memo)
bp.add_app_template_filter(paragraphs)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    check_can_create()
    form = MemoForm()
    types = memo_types(current_user.organisation_id)
    assert form.memo_type is not None
    form.memo_type.choices = [(t.code, t.title) for t in types]
    if not form.is_submitted():
        form.memo_type.data = types[0].code  # preselected: the first, the only one if one
        return form_page(form, None)
    valid = form.validate()
    uploads = form.checked_uploads()
    if valid and not form.bilagor.errors:
        try:
            memo = create_memo(current_user, form.content(), uploads, memo_type=form.memo_type.data)
            _set_diarium_dnr(memo, form)
            db.session().commit()
        except (Invalid, Conflict, StorageFull) as exc:
            db.session().rollback()
            form.add_error(None, exc.message)
            return form_page(form, None, status=exc.status)
        flash(_("Tjänsteutlåtandet %(dnr)s är skapat (version 1).", dnr=memo.dnr), "success")
        return redirect(url_for(".show", memo_id=memo.id))
    return form_page(form, None, status=400)


@bp.route("/<int:memo_id>/edit", methods=["GET", "POST"])
@login_required
def edit(memo_id: int):
    memo = get_memo(memo_id, current_user)
    check_can_edit_here(memo)
    if request.method == "GET":
        return form_page(EditMemoForm(data=data_for(memo.latest_version, memo.lock_version)), memo)
    form = EditMemoForm()
    valid = form.validate()
    uploads = form.checked_uploads()
    if not (valid and not form.bilagor.errors):
        return form_page(form, memo, status=400)
    try:
        version = save_draft(
            memo,
            current_user,
            form.content(),
            edits=form.attachment_edits(),
            uploads=uploads,
            expected_lock_version=form.lock_version.data,
        )
        _set_diarium_dnr(memo, form)
        db.session().commit()
    except (Invalid, Conflict, StorageFull) as exc:
        # Nothing is saved; the page comes back with everything typed, and why.
        db.session().rollback()
        form.add_error(None, exc.message)
        return form_page(form, memo, status=exc.status)
    flash(_("Utkastet är sparat (version %(number)s).", number=version.number), "success")
    return redirect(url_for(".show", memo_id=memo.id))


def _set_diarium_dnr(memo: Memo, form: MemoForm) -> None:
    """The diarium's Dnr as typed, where the organisation's diarium numbers the memos."""
    if memo.organisation.dnr_source != DNR_DIARIUM:
        return
    typed = " ".join((form.diarium_dnr.data or "").split()) or None
    if typed != memo.diarium_dnr:
        set_diarium_dnr(memo, typed)


def form_page(form: MemoForm, memo: Memo | None, status: int = 200):
    if status != 200:
        form.say_files_not_kept()
    # Every version's bilagor: a form sent back after a conflict may name older ones.
    known = {a.id: a for v in memo.versions for a in v.attachments} if memo else {}
    return (
        render_template(
            "memos/edit.html",
            form=form,
            memo=memo,
            sections=SECTIONS,
            hints=HINTS,
            known_attachments=known,
            asks_diarium_dnr=current_user.organisation.dnr_source == DNR_DIARIUM,
            errors=[(None, m) for m in form.general_errors] + form.errors_in_order(),
        ),
        status,
    )


SEARCH_PAGE_SIZE = 25


@bp.route("/sok")
@login_required
def search():
    """Everyone searches the memos they may see: Dnr or text, state, period; an attester
    also those they attested or returned ("Hanterade av mig")."""
    form = SearchForm(request.args)
    attester = bool(current_user.role_codes - roles.NOT_ATTESTING)
    if not attester:
        del form.mine
    asked = any(request.args.get(name) for name in ("q", "state", "start", "end", "mine"))
    if not form.validate():
        return render_template("memos/search.html", form=form, result=None, asked=True), 400
    result = worklists.search_memos(
        current_user,
        form.search(),
        request.args.get("sida", 1, type=int) or 1,
        SEARCH_PAGE_SIZE,
    )
    return render_template("memos/search.html", form=form, result=result, asked=asked)


@bp.route("/<int:memo_id>")
@login_required
def show(memo_id: int):
    memo = get_memo(memo_id, current_user)
    # Once sent, the page shows the frozen PDF itself: what the attesters sign.
    frozen = memo.state != State.UTKAST.value
    return render_template(
        "memos/show.html",
        memo=memo,
        version=memo.latest_version,
        sections=SECTIONS,
        can_edit=can_edit(current_user, memo),
        p=panel.build(memo, current_user),
        frozen=frozen,
        pdfjs=pdfviewer.urls() if frozen else None,
    )


@bp.route("/<int:memo_id>/versions/<int:number>")
@login_required
def version(memo_id: int, number: int):
    memo = get_memo(memo_id, current_user)
    return render_template(
        "memos/version.html", memo=memo, version=get_version(memo, number), sections=SECTIONS
    )


@bp.route("/<int:memo_id>/pdf")
@login_required
def preview(memo_id: int):
    memo = get_memo(memo_id, current_user)
    pdf = preview_pdf(memo)
    db.session().commit()  # a preview rendered now is kept for the next request
    return pdf_response(pdf, pdf_filename(memo))


@bp.route("/<int:memo_id>/versions/<int:number>/pdf")
@login_required
def version_pdf(memo_id: int, number: int):
    memo = get_memo(memo_id, current_user)
    version = get_version(memo, number)
    pdf = stored_preview(memo, version)
    db.session().commit()  # a preview rendered now is kept for the next request
    return pdf_response(pdf, pdf_filename(memo, f"-version-{number}"))


@bp.route("/<int:memo_id>/bilagor/<int:attachment_id>")
@login_required
def bilaga(memo_id: int, attachment_id: int):
    memo = get_memo(memo_id, current_user)
    attachment = get_attachment(memo, attachment_id)
    data = blobs.store().get(attachment.blob_sha256)
    return pdf_response(data, attachment.filename or "bilaga.pdf", as_attachment=True)


def pdf_response(data: bytes, filename: str, *, as_attachment: bool = False):
    response = send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=as_attachment,
        download_name=filename,
        etag=False,
        max_age=0,
    )
    # A draft's PDF changes with every save and is not for shared caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response
