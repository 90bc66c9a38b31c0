"""The draft form: what the handläggare types, and how it becomes the domain's arguments."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Iterable, Iterator

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from werkzeug.datastructures import FileStorage
from wtforms import (
    BooleanField,
    DateField,
    Field,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import HiddenInput

if TYPE_CHECKING:
    from attest.workflow.worklists import Search

from attest.errors import Invalid
from attest.i18n import _l
from attest.memos.bilagor import CheckedPdf, check_pdf
from attest.memos.models import MemoVersion
from attest.memos.operations import AttachmentEdit, DraftContent
from attest.memos.sections import (
    LABEL_BILAGOR,
    LABEL_DIARIUM_DNR,
    LABEL_MEMO_TYPE,
    LABEL_RUBRIK,
    LABEL_SAMMANTRADESDATUM,
    LABEL_UNDERRUBRIK,
    MAX_SECTION_LENGTH,
    MAX_TITLE_LENGTH,
    SECTION_FIELDS,
    SECTION_TITLES,
)
from attest.pdf.fonts import unprintable_message
from attest.workflow.definition import State

# The form's help texts, by what they explain.
HINTS = {
    "paragraphs": _l("Skriv en tom rad mellan styckena."),
    "subsections": (
        _l(
            "Ett delavsnitt har en egen rubrik, t.ex. Jämställdhetsanalys och "
            "barnrättsperspektiv. Lämna rutorna tomma om du inte behöver dem."
        )
    ),
    "bilagor": _l("PDF-filer. Du kan välja flera på en gång; de läggs sist bland bilagorna."),
}
INCOMPLETE_FORM = _l("Formuläret är ofullständigt; ladda om sidan.")
CHOOSE_AGAIN_ONE = _l("Välj filen igen: den är inte sparad.")
CHOOSE_AGAIN_MANY = _l("Välj filerna igen: de är inte sparade.")
EMPTY_SUBSECTIONS = 2  # empty slots offered below the existing subsections

_TITLE_TOO_LONG = _l("Högst %(n)d tecken.", n=MAX_TITLE_LENGTH)
_SECTION_TOO_LONG = _l("Högst %(n)d tecken.", n=MAX_SECTION_LENGTH)


def _printable(form: Form, field: Field) -> None:
    """Text that goes into the PDF must be drawable by its font: no empty boxes on paper."""
    message = unprintable_message(field.data or "")
    if message:
        raise ValidationError(message)


def _section(name: str) -> TextAreaField:
    return TextAreaField(
        _l(SECTION_TITLES[name]),
        validators=[Length(max=MAX_SECTION_LENGTH, message=_SECTION_TOO_LONG), _printable],
        render_kw={"rows": 6},
    )


def _stop_if_unreadable(form: Form, field: Field) -> None:
    """A value that could not be read has said so; the next check would only repeat it."""
    if field.process_errors:
        raise StopValidation()


class SubsectionForm(Form):
    """A titled subsection of "Förvaltningens synpunkter och förslag"."""

    title = StringField(
        _l("Delavsnittets rubrik"),
        validators=[Length(max=MAX_TITLE_LENGTH, message=_TITLE_TOO_LONG), _printable],
    )
    text = TextAreaField(
        _l("Delavsnittets text"),
        validators=[Length(max=MAX_SECTION_LENGTH, message=_SECTION_TOO_LONG), _printable],
        render_kw={"rows": 6},
    )

    def validate_title(self, field: StringField) -> None:
        if (self.text.data or "").strip() and not (field.data or "").strip():
            raise ValidationError(_l("Ett delavsnitt med text måste ha en rubrik."))


class AttachmentForm(Form):
    """One bilaga of the draft as it stands: its title, its place, or its removal."""

    attachment_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    title = StringField(
        _l("Titel"),
        validators=[Length(max=MAX_TITLE_LENGTH, message=_TITLE_TOO_LONG), _printable],
    )
    position = IntegerField(
        _l("Ordning"),
        validators=[
            _stop_if_unreadable,
            NumberRange(min=1, max=999, message=_l("Ange en siffra från 1 till 999.")),
        ],
        invalid_value_message=_l("Ange bilagans plats med en siffra."),
        render_kw={"min": 1, "max": 999, "inputmode": "numeric"},
    )
    remove = BooleanField(_l("Ta bort"))

    def validate_title(self, field: StringField) -> None:
        if not self.remove.data and not (field.data or "").strip():
            raise ValidationError(_l("Ange bilagans titel."))


class MemoForm(FlaskForm):
    """A new draft."""

    # Choices: the organisation's memo types (the view sets them); the domain checks the
    # choice (attest.memos.types.chosen_type).
    memo_type = SelectField(_l(LABEL_MEMO_TYPE), validate_choice=False)
    # Shown when the organisation's diarium numbers its cases; checked by the domain.
    diarium_dnr = StringField(_l(LABEL_DIARIUM_DNR), validators=[Length(max=100)])
    rubrik = StringField(
        _l(LABEL_RUBRIK),
        validators=[
            DataRequired(_l("Ange en rubrik.")),
            Length(max=MAX_TITLE_LENGTH, message=_TITLE_TOO_LONG),
            _printable,
        ],
    )
    underrubrik = StringField(
        _l(LABEL_UNDERRUBRIK),
        validators=[Length(max=MAX_TITLE_LENGTH, message=_TITLE_TOO_LONG), _printable],
    )
    meeting_date = DateField(
        _l(LABEL_SAMMANTRADESDATUM),
        validators=[Optional()],
        invalid_value_message=_l("Ange datumet som ÅÅÅÅ-MM-DD."),
    )
    forslag_till_beslut = _section("forslag_till_beslut")
    sammanfattning = _section("sammanfattning")
    bakgrund = _section("bakgrund")
    arendet = _section("arendet")
    arendets_beredning = _section("arendets_beredning")
    synpunkter = _section("synpunkter")
    subsections = FieldList(
        FormField(SubsectionForm), min_entries=EMPTY_SUBSECTIONS, max_entries=50
    )
    bilagor = MultipleFileField(_l(LABEL_BILAGOR), render_kw={"accept": "application/pdf"})
    submit = SubmitField(_l("Spara utkast"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.general_errors: list[str] = []  # refusals that belong to no single field

    def content(self) -> DraftContent:
        return DraftContent(
            rubrik=self.rubrik.data or "",
            underrubrik=self.underrubrik.data or "",
            meeting_date=self.meeting_date.data,
            subsections=[
                (entry.form.title.data or "", entry.form.text.data or "")
                for entry in self.subsections
            ],
            **{name: self[name].data or "" for name in SECTION_FIELDS},
        )

    def uploaded_files(self) -> list[FileStorage]:
        return [f for f in self.bilagor.data or () if isinstance(f, FileStorage) and f]

    def checked_uploads(self) -> list[CheckedPdf]:
        """Each chosen file checked as a bilaga; a refusal is put on the Bilagor field."""
        max_bytes = current_app.config["BILAGA_MAX_BYTES"]
        checked = []
        for upload in self.uploaded_files():
            # One byte more than allowed is enough to say it is too large.
            data = upload.stream.read(max_bytes + 1)
            try:
                checked.append(check_pdf(upload.filename or "", data))
            except Invalid as exc:
                self.add_error("bilagor", exc.message)
        return checked

    def add_error(self, field_name: str | None, message: str) -> None:
        """A refusal from the domain, next to its field, or for the whole form."""
        if field_name is None:
            self.general_errors.append(message)
            return
        field = self[field_name]
        field.errors = [*field.errors, message]

    def say_files_not_kept(self) -> None:
        """The browser cannot send chosen files again: ask for them when the form comes back."""
        count = len(self.uploaded_files())
        if count:
            self.add_error("bilagor", CHOOSE_AGAIN_ONE if count == 1 else CHOOSE_AGAIN_MANY)

    def errors_in_order(self) -> list[tuple[str, str]]:
        """(field id, message) for the error summary, in the order of the page."""
        # The file input comes last on the page, after the bilagor already attached.
        return list(_field_errors([f for f in self if f is not self.bilagor] + [self.bilagor]))


class EditMemoForm(MemoForm):
    """A draft being changed: its lock version and its existing bilagor too."""

    memo_type = None  # chosen when the memo was made

    lock_version = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired(INCOMPLETE_FORM)],
    )
    attachments = FieldList(FormField(AttachmentForm), max_entries=200)

    def attachment_edits(self) -> list[AttachmentEdit]:
        return [
            AttachmentEdit(
                attachment_id=entry.form.attachment_id.data,
                title=entry.form.title.data or "",
                position=entry.form.position.data,
                remove=bool(entry.form.remove.data),
            )
            for entry in self.attachments
        ]


def data_for(version: MemoVersion, lock_version: int) -> dict[str, object]:
    """The edit form's initial values: the latest version, with room for new subsections."""
    return {
        "diarium_dnr": version.memo.diarium_dnr or "",
        "rubrik": version.rubrik,
        "underrubrik": version.underrubrik,
        "meeting_date": version.meeting_date,
        **{name: getattr(version, name) for name in SECTION_FIELDS},
        "subsections": [{"title": t, "text": x} for t, x in version.subsections]
        + [{}] * EMPTY_SUBSECTIONS,
        "attachments": [
            {"attachment_id": a.id, "title": a.title, "position": a.position}
            for a in version.attachments
        ],
        "lock_version": lock_version,
    }


def _field_errors(fields: Iterable) -> Iterator[tuple[str, str]]:
    for field in fields:
        if isinstance(field, (FieldList, FormField)):
            yield from _field_errors(field)
        else:
            for message in field.errors:
                yield field.id, message


class SearchForm(FlaskForm):
    """ "Sök tjänsteutlåtanden": a GET that changes nothing, so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Dnr eller text"), validators=[Length(max=200)])
    state = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("Alla")),
            SelectChoice(State.UTKAST.value, State.UTKAST.label),
            SelectChoice(State.ATTEST.value, State.ATTEST.label),
            SelectChoice(State.ATTESTERAD.value, State.ATTESTERAD.label),
        ],
        default="",
    )
    start = DateField(
        _l("Ändrat från och med"),
        validators=[Optional()],
        invalid_value_message=_l("Ange datumet som ÅÅÅÅ-MM-DD."),
    )
    end = DateField(
        _l("Ändrat till och med"),
        validators=[Optional()],
        invalid_value_message=_l("Ange datumet som ÅÅÅÅ-MM-DD."),
    )
    mine = BooleanField(_l("Hanterade av mig (attesterade eller returnerade)"))

    def validate_end(self, field: DateField) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("Perioden slutar innan den börjar."))

    def search(self) -> Search:
        from attest.clock import STOCKHOLM
        from attest.workflow import worklists

        def midnight(day: dt.date) -> dt.datetime:
            local = dt.datetime.combine(day, dt.time(), tzinfo=STOCKHOLM)
            return local.astimezone(dt.timezone.utc)

        start, end = self.start.data, self.end.data
        return worklists.Search(
            query=self.q.data or "",
            state=State(self.state.data) if self.state.data else None,
            start=midnight(start) if start else None,
            end=midnight(end + dt.timedelta(days=1)) if end else None,
            handled_by_me=bool(self.mine.data) if self.mine is not None else False,
        )
