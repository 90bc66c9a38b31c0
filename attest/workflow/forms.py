from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from attest.i18n import _l
from attest.memos.forms import INCOMPLETE_FORM
from attest.workflow.definition import TRANSITIONS, Action
from attest.workflow.engine import MAX_COMMENT_LENGTH
from attest.workflow.routes import PlannedStep


def _a_number(form: FlaskForm, field: HiddenField) -> None:
    if not (field.data or "").isdigit():
        raise ValidationError(INCOMPLETE_FORM)


class _ActionForm(FlaskForm):
    # The version the person saw: an action is taken on that version or not at all.
    lock_version = HiddenField(validators=[_a_number])

    def expected_lock_version(self) -> int:
        return int(self.lock_version.data)


class SendForm(_ActionForm):
    submit = SubmitField(TRANSITIONS[Action.SKICKA].title)

    @classmethod
    def for_plan(cls, steps: list[PlannedStep], **kwargs) -> "SendForm":
        """A select per route step, labelled with the role ("Avdelningschef").

        Like any FlaskForm it reads the request's form unless given ``formdata=None``.
        """

        class _Form(cls):  # type: ignore[valid-type,misc]
            pass

        for step in steps:
            role = step.role.title.lower()
            choices = [
                SelectChoice(str(p.id), f"{p.full_name}, {p.title}" if p.title else p.full_name)
                for p in step.candidates
            ]
            if step.preselected is None:
                choices.insert(0, SelectChoice("", _l("Välj person")))
            missing = (
                _l("Välj vem som ska attestera som %(role)s.", role=role)
                if step.candidates
                else _l("Det finns ingen %(role)s i organisationen att skicka till.", role=role)
            )
            setattr(
                _Form,
                f"step_{step.position}",
                SelectField(
                    step.role.title,
                    choices=choices,
                    default=str(step.preselected.id) if step.preselected else "",
                    validators=[DataRequired(missing)],
                    # e.g. someone who lost the role after the page was loaded
                    invalid_choice_message=f"Den valda personen kan inte attestera som {role}.",
                ),
            )
        return _Form(**kwargs)

    def assignees(self, steps: list[PlannedStep]) -> dict[int, int]:
        chosen = {}
        for step in steps:
            value = getattr(self, f"step_{step.position}").data
            if value and str(value).isdigit():
                chosen[step.position] = int(value)
        return chosen


class AttestForm(_ActionForm):
    password = PasswordField(
        _l("Lösenord"),
        validators=[Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
        description=_l("Ditt eget lösenord. Det låser upp din personliga nyckel för signaturen."),
    )
    # The completed step-up at the identity provider (attest.sso), for people who sign in there.
    step_up = HiddenField()
    submit = SubmitField(TRANSITIONS[Action.ATTESTERA].title)

    def use_signing_pin(self) -> "AttestForm":
        """For a person whose key is under a signing PIN: the field asks for it."""
        self.password.label.text = _l("Signerings-PIN")
        self.password.description = _l(
            "Din signerings-PIN. Den låser upp din personliga nyckel för signaturen."
        )
        self.password.render_kw = {"autocomplete": "off", "inputmode": "numeric"}
        return self


class ReturnForm(_ActionForm):
    comment = TextAreaField(
        _l("Kommentar"),
        validators=[
            DataRequired(
                _l("Skriv en kommentar som förklarar varför tjänsteutlåtandet returneras.")
            ),
            Length(max=MAX_COMMENT_LENGTH),
        ],
    )
    submit = SubmitField(TRANSITIONS[Action.RETURNERA].title)


class WithdrawForm(_ActionForm):
    # Optional: the attesters who already attested read it in their mail, and the history.
    comment = TextAreaField(
        _l("Anledning (frivillig)"), validators=[Length(max=MAX_COMMENT_LENGTH)]
    )
    submit = SubmitField(TRANSITIONS[Action.ATERKALLA].title)


class DeleteDraftForm(_ActionForm):
    submit = SubmitField(TRANSITIONS[Action.RADERA].title)
