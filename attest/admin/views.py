"""The administrator's pages: /admin and its list of pages; people (list, search, create
with an enrolment link, edit, deactivate, reset, key status); roles (add, rename, retire);
acting substitutes (register, list, end early).

Thin: load, check access (403 for other roles; another organisation's person, role or t.f.
is not found), call the verbs of attest.users.operations, attest.workflow.substitutes and
attest.workflow.roles, commit once, and say what happened in Swedish.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from attest import clock, db
from attest.admin.forms import (
    ActionForm,
    PersonForm,
    RenameRoleForm,
    RoleForm,
    SubstituteForm,
)
from attest.attestation.personal import key_statuses
from attest.errors import AttestError
from attest.i18n import N_, _l
from attest.users import roles
from attest.users.models import User
from attest.users.operations import (
    PEOPLE_ORDER,
    EnrolmentLink,
    add_role,
    deactivate_user,
    get_person,
    invite_user,
    list_roles,
    own_role,
    people_query,
    rename_role,
    reset_user,
    set_employee_number,
    update_user,
)
from attest.workflow import substitutes
from attest.workflow.roles import retire_role
from attest.workflow.worklists import PER_PAGE, paginate

bp = Blueprint("admin", __name__, url_prefix="/admin")

# The landing page's list: (endpoint, title, what it is for). A page whose endpoint this
# installation does not have (yet) is left out, so a package adds its page here once.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("admin.people", _l("Användare"), _l("Personer, roller, aktiveringslänkar och nycklar.")),
    ("admin.roles_", _l("Roller"), _l("Roller som attestordningar och personer kan ha.")),
    ("admin.substitutes_", _l("T.f."), _l("Tillförordnade: vem som attesterar för vem, och när.")),
    (
        "org_settings.index",
        _l("Organisationens inställningar"),
        _l("Brevhuvud, adress, växel och diarienummer."),
    ),
    ("memo_types.index", _l("Typer av ärenden"), _l("Typer av ärenden och deras steg.")),
    ("audit_log.index", _l("Granskningslogg"), _l("Händelser, och om loggen är hel.")),
    ("api_admin.index", _l("API och webhooks"), _l("Tokens för andra system och webhooks.")),
    ("workflow.outbox", _l("Utkorg"), _l("E-post som attest har skickat eller ska skicka.")),
)
PERSON_ADDED = N_("%(name)s är tillagd.")


def _require_administrator() -> None:
    if not current_user.has_role(roles.ADMINISTRATOR):
        abort(403)


def _organisation():
    return current_user.organisation


def _actor() -> User:
    return current_user._get_current_object()


def _check(form) -> None:
    """A button's form: only its CSRF token (checked by CSRFProtect before the view)."""
    if not form.validate_on_submit():
        abort(400)


def _errors(form) -> list[tuple[str | None, str]]:
    return [(getattr(form, name).id, m) for name, messages in form.errors.items() for m in messages]


@bp.route("/")
@login_required
def index():
    _require_administrator()
    return render_template("admin/index.html", pages=admin_pages())


@bp.app_template_global()
def admin_pages() -> list[tuple[str, str, str]]:
    """The administration pages this installation has, for the landing page, the pages'
    navigation and the start page."""
    return [page for page in PAGES if page[0] in current_app.view_functions]


# --- people ------------------------------------------------------------------------------


def _role_choices(form: PersonForm) -> None:
    form.roles.choices = [(r.code, r.shown_title) for r in list_roles(_organisation())]


@bp.route("/anvandare")
@login_required
def people():
    _require_administrator()
    text = request.args.get("q", "")[:200]
    shown = request.args.get("visa", "aktiva")
    active = {"aktiva": True, "inaktiva": False}.get(shown)
    page = paginate(
        people_query(_organisation(), text, active=active),
        PEOPLE_ORDER,
        request.args.get("sida", 1, type=int) or 1,
        PER_PAGE,
    )
    return render_template(
        "admin/people.html",
        page=page,
        statuses=key_statuses(page.items),
        q=text,
        shown=shown if active is not None else "alla",
    )


@bp.route("/anvandare/ny")
@login_required
def new_person():
    _require_administrator()
    form = PersonForm(formdata=None, data={"roles": [roles.HANDLAGGARE]})
    _role_choices(form)
    return render_template("admin/person_new.html", form=form, errors=[])


@bp.route("/anvandare", methods=["POST"])
@login_required
def create_person():
    _require_administrator()
    form = PersonForm()
    _role_choices(form)
    if not form.validate_on_submit():
        return render_template("admin/person_new.html", form=form, errors=_errors(form)), 400
    try:
        invitation = invite_user(
            form.username.data or "",
            full_name=form.full_name.data or "",
            organisation_code=_organisation().code,
            roles=form.roles.data or [],
            title=form.title.data or "",
            department=form.department.data or "",
            email=form.email.data or "",
            phone=form.phone.data or "",
            by=_actor(),
        )
        if form.employee_number.data:
            set_employee_number(invitation.user, form.employee_number.data, by=_actor())
        db.session().commit()
    except AttestError as exc:
        db.session().rollback()
        page = render_template("admin/person_new.html", form=form, errors=[(None, exc.message)])
        return page, exc.status
    flash(_(PERSON_ADDED, name=invitation.user.full_name), "success")
    return _person_page(invitation.user, link=invitation.link)


def _edit_form(person: User, formdata: Any = None) -> PersonForm:
    data = {
        "full_name": person.full_name,
        "username": person.username,
        "title": person.title,
        "department": person.department,
        "phone": person.phone,
        "email": person.email,
        "employee_number": person.employee_number or "",
        "roles": sorted(person.role_codes),
    }
    form = PersonForm(formdata=formdata, data=data) if formdata is None else PersonForm()
    _role_choices(form)
    # Roles no longer offered (retired, or shared ones) still show, so nothing is lost.
    offered = {code for code, _ in form.roles.choices}
    form.roles.choices += [
        (ur.role_code, ur.role.shown_title)
        for ur in person.user_roles
        if ur.role_code not in offered
    ]
    form.username.data = person.username  # never changed
    return form


def _person_page(
    person: User,
    *,
    form: PersonForm | None = None,
    link: EnrolmentLink | None = None,
    errors=(),
    status: int = 200,
):
    return (
        render_template(
            "admin/person.html",
            person=person,
            form=form or _edit_form(person),
            status_of_key=key_statuses([person])[person.id],
            substitutions=substitutes.of_person(person),
            link=link,
            errors=list(errors),
            action_form=ActionForm(),
            me=current_user.id == person.id,
        ),
        status,
    )


@bp.route("/anvandare/<int:user_id>")
@login_required
def person(user_id: int):
    _require_administrator()
    return _person_page(get_person(_organisation(), user_id))


@bp.route("/anvandare/<int:user_id>/andra", methods=["POST"])
@login_required
def update_person(user_id: int):
    _require_administrator()
    person = get_person(_organisation(), user_id)
    form = _edit_form(person, formdata=request.form)
    form.username.data = person.username
    if not form.validate_on_submit():
        return _person_page(person, form=form, errors=_errors(form), status=400)
    try:
        changed = update_user(
            person,
            full_name=form.full_name.data,
            title=form.title.data,
            roles=form.roles.data or [],
            department=form.department.data,
            email=form.email.data,
            phone=form.phone.data,
            by=_actor(),
        )
        number = (form.employee_number.data or "").strip() or None
        if number != person.employee_number:
            set_employee_number(person, number, by=_actor())
            changed = True
        db.session().commit()
    except AttestError as exc:
        db.session().rollback()
        return _person_page(person, form=form, errors=[(None, exc.message)], status=exc.status)
    if changed:
        flash(_("Ändringarna för %(name)s är sparade.", name=person.full_name), "success")
    else:
        flash(_("Inget är ändrat för %(name)s.", name=person.full_name), "info")
    return redirect(url_for(".person", user_id=person.id))


@bp.route("/anvandare/<int:user_id>/inaktivera", methods=["POST"])
@login_required
def deactivate_person(user_id: int):
    _require_administrator()
    person = get_person(_organisation(), user_id)
    _check(ActionForm())
    deactivate_user(person, by=_actor())
    db.session().commit()
    flash(
        _(
            "%(name)s är inaktiverad: inloggningarna är avslutade och nyckeln spärrad.",
            name=person.full_name,
        ),
        "success",
    )
    return redirect(url_for(".person", user_id=person.id))


@bp.route("/anvandare/<int:user_id>/aterstall", methods=["POST"])
@login_required
def reset_person(user_id: int):
    _require_administrator()
    person = get_person(_organisation(), user_id)
    _check(ActionForm())
    link = reset_user(person, by=_actor())
    db.session().commit()
    flash(
        _(
            "%(name)s är återställd: nyckeln är spärrad och lösenordet gäller inte längre.",
            name=person.full_name,
        ),
        "success",
    )
    return _person_page(person, link=link)


# --- roles -------------------------------------------------------------------------------


def _roles_page(form: RoleForm | None = None, *, errors=(), status: int = 200):
    organisation = _organisation()
    return (
        render_template(
            "admin/roles.html",
            roles=list_roles(organisation),
            form=form or RoleForm(formdata=None),
            rename_form=RenameRoleForm(formdata=None),
            action_form=ActionForm(),
            organisation_id=organisation.id,
            not_attesting=roles.NOT_ATTESTING,
            errors=list(errors),
        ),
        status,
    )


@bp.route("/roller")
@login_required
def roles_():
    _require_administrator()
    return _roles_page()


@bp.route("/roller", methods=["POST"])
@login_required
def add_role_():
    _require_administrator()
    form = RoleForm()
    if not form.validate_on_submit():
        return _roles_page(form, errors=_errors(form), status=400)
    try:
        role = add_role(
            form.code.data or "", form.title.data or "", organisation=_organisation(), by=_actor()
        )
        db.session().commit()
    except AttestError as exc:
        db.session().rollback()
        return _roles_page(form, errors=[(None, exc.message)], status=exc.status)
    flash(_("Rollen %(title)s är tillagd.", title=role.title), "success")
    return redirect(url_for(".roles_"))


@bp.route("/roller/<role_code>/titel", methods=["POST"])
@login_required
def rename_role_(role_code: str):
    _require_administrator()
    role = own_role(_organisation(), role_code)
    form = RenameRoleForm()
    if not form.validate_on_submit():
        return _roles_page(
            errors=[(None, m) for ms in form.errors.values() for m in ms], status=400
        )
    try:
        before = role.title
        changed = rename_role(role, form.title.data or "", by=_actor())
        db.session().commit()
    except AttestError as exc:
        db.session().rollback()
        return _roles_page(errors=[(None, exc.message)], status=exc.status)
    if changed:
        flash(
            _("Rollen %(before)s heter nu %(title)s.", before=before, title=role.title), "success"
        )
    return redirect(url_for(".roles_"))


@bp.route("/roller/<role_code>/avveckla", methods=["POST"])
@login_required
def retire_role_(role_code: str):
    _require_administrator()
    organisation = _organisation()
    role = own_role(organisation, role_code)
    _check(ActionForm())
    try:
        retire_role(role, organisation, by=_actor())
        db.session().commit()
    except AttestError as exc:
        db.session().rollback()
        return _roles_page(errors=[(None, exc.message)], status=exc.status)
    flash(_("Rollen %(title)s är avvecklad.", title=str(role.shown_title)), "success")
    return redirect(url_for(".roles_"))


# --- acting substitutes (t.f.) -----------------------------------------------------------


def _substitute_form(formdata: Any = None) -> SubstituteForm:
    organisation = _organisation()
    today = clock.today()
    form = (
        SubstituteForm(formdata=None, data={"starts_on": today, "ends_on": today})
        if formdata is None
        else SubstituteForm()
    )
    people_ = substitutes.people_of(organisation)
    form.substitute.choices = [(0, _l("Välj person"))] + [
        (p.id, f"{p.full_name} ({p.username})") for p in people_
    ]
    form.for_user.choices = [(0, _l("Vem som helst med rollen"))] + [
        (p.id, p.full_name) for p in people_
    ]
    form.role.choices = [
        (r.code, r.shown_title)
        for r in list_roles(organisation)
        if r.code not in roles.NOT_ATTESTING
    ]
    return form


def _substitutes_page(form: SubstituteForm | None = None, *, errors=(), status: int = 200):
    return (
        render_template(
            "admin/substitutes.html",
            substitutions=substitutes.current_and_future(_organisation()),
            today=clock.today(),
            form=form or _substitute_form(),
            action_form=ActionForm(),
            errors=list(errors),
        ),
        status,
    )


@bp.route("/tf")
@login_required
def substitutes_():
    _require_administrator()
    return _substitutes_page()


@bp.route("/tf", methods=["POST"])
@login_required
def add_substitute():
    _require_administrator()
    form = _substitute_form(request.form)
    if not form.validate_on_submit():
        return _substitutes_page(form, errors=_errors(form), status=400)
    organisation = _organisation()
    try:
        substitute = get_person(organisation, form.substitute.data or 0)
        for_user = get_person(organisation, form.for_user.data) if form.for_user.data else None
        assert form.starts_on.data is not None and form.ends_on.data is not None
        substitution = substitutes.add_substitution(
            substitute.username,
            form.role.data or "",
            form.starts_on.data,
            form.ends_on.data,
            for_username=for_user.username if for_user else None,
            by=_actor(),
        )
        db.session().commit()
    except AttestError as exc:
        db.session().rollback()
        return _substitutes_page(form, errors=[(None, exc.message)], status=exc.status)
    role_title = str(substitution.role.shown_title).lower()
    start = clock.format_date(substitution.starts_on)
    end = clock.format_date(substitution.ends_on)
    if for_user:
        done = _(
            "%(name)s är t.f. %(role)s för %(whom)s %(start)s–%(end)s.",
            name=substitute.full_name,
            role=role_title,
            whom=for_user.full_name,
            start=start,
            end=end,
        )
    else:
        done = _(
            "%(name)s är t.f. %(role)s %(start)s–%(end)s.",
            name=substitute.full_name,
            role=role_title,
            start=start,
            end=end,
        )
    flash(done, "success")
    return redirect(url_for(".substitutes_"))


@bp.route("/tf/<int:substitution_id>/avsluta", methods=["POST"])
@login_required
def end_substitute(substitution_id: int):
    _require_administrator()
    substitution = substitutes.get_substitution(_organisation(), substitution_id)
    _check(ActionForm())
    try:
        substitutes.end_one(substitution, by=_actor())
        db.session().commit()
    except AttestError as exc:
        db.session().rollback()
        return _substitutes_page(errors=[(None, exc.message)], status=exc.status)
    flash(
        _(
            "%(name)s är inte längre t.f. %(role)s; t.f.-certifikatet är spärrat.",
            name=substitution.substitute.full_name,
            role=str(substitution.role.shown_title).lower(),
        ),
        "success",
    )
    return redirect(url_for(".substitutes_"))
