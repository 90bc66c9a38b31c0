"""Domain verbs for memos: create, save a draft (a new version), find one for a user."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from attest import audit, blobs, clock, db
from attest.errors import Conflict, Forbidden, Invalid, NotFound
from attest.i18n import _l
from attest.memos.bilagor import CheckedPdf
from attest.memos.models import Attachment, DnrCounter, Memo, MemoVersion
from attest.memos.sections import (
    MAX_SECTION_LENGTH,
    MAX_TITLE_LENGTH,
    SECTION_FIELDS,
)
from attest.pdf.fonts import check_printable, printable
from attest.users import roles
from attest.users.models import User
from attest.workflow.definition import EDITABLE_STATES, GONE_STATES, State


@dataclass
class DraftContent:
    """What the handläggare typed: every text field of a version."""

    rubrik: str
    underrubrik: str = ""
    meeting_date: dt.date | None = None
    forslag_till_beslut: str = ""
    sammanfattning: str = ""
    bakgrund: str = ""
    arendet: str = ""
    arendets_beredning: str = ""
    synpunkter: str = ""
    subsections: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class AttachmentEdit:
    """The form's say about one bilaga of the previous version."""

    attachment_id: int
    title: str
    position: int
    remove: bool = False


def _normalise_text(text: str | None) -> str:
    # Browsers send \r\n; store \n so versions compare equal when nothing changed.
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _check_content(content: DraftContent) -> DraftContent:
    content.rubrik = " ".join(_normalise_text(content.rubrik).split())
    content.underrubrik = " ".join(_normalise_text(content.underrubrik).split())
    if not content.rubrik:
        raise Invalid(_l("Ange en rubrik."))
    if len(content.rubrik) > MAX_TITLE_LENGTH or len(content.underrubrik) > MAX_TITLE_LENGTH:
        raise Invalid(_l("Rubrik och underrubrik får ha högst %(n)d tecken.", n=MAX_TITLE_LENGTH))
    for name in SECTION_FIELDS:
        value = _normalise_text(getattr(content, name))
        if len(value) > MAX_SECTION_LENGTH:
            raise Invalid(_l("Ett avsnitt får ha högst %(n)d tecken.", n=MAX_SECTION_LENGTH))
        setattr(content, name, value)
    subsections = []
    for title, text in content.subsections:
        title, text = " ".join(_normalise_text(title).split()), _normalise_text(text)
        if not title and not text:
            continue
        if not title:
            raise Invalid(_l("Ett delavsnitt med text måste ha en rubrik."))
        subsections.append((title[:MAX_TITLE_LENGTH], text[:MAX_SECTION_LENGTH]))
    content.subsections = subsections
    texts = [content.rubrik, content.underrubrik, *(getattr(content, n) for n in SECTION_FIELDS)]
    texts += [part for pair in subsections for part in pair]
    if sum(len(text) for text in texts) > MAX_MEMO_LENGTH:
        raise Invalid(
            _l(
                "Tjänsteutlåtandet får ha högst %(count)s tecken sammanlagt. Lägg långa "
                "underlag som bilagor.",
                count=format(MAX_MEMO_LENGTH, ",").replace(",", " "),
            )
        )
    check_printable(*texts)
    return content


# All the text of a version together: about 40 printed pages (the reference memo has 14 000
# characters). Rendering it takes seconds; 800 000 characters took half a minute.
MAX_MEMO_LENGTH = 150_000

STALE_MEMO = _l(
    "Tjänsteutlåtandet har ändrats av någon annan sedan du öppnade sidan, "
    "så din åtgärd genomfördes inte. Ladda om sidan och se hur det ser ut nu."
)


def lock_memo(memo: Memo) -> None:
    """Take the memo for this transaction, or raise Conflict if someone changed it first.

    Writing the row bumps ``lock_version`` (``UPDATE ... WHERE lock_version = n``), which
    takes the row lock (the database lock on SQLite) before any other work: a concurrent
    writer waits, then finds the version changed. Exactly one of them wins.
    """
    from sqlalchemy.orm.attributes import flag_modified
    from sqlalchemy.orm.exc import StaleDataError

    memo.updated_at = clock.now()
    flag_modified(memo, "updated_at")  # an UPDATE even when the time has not moved
    try:
        db.session().flush()
    except StaleDataError:
        db.session().rollback()
        raise Conflict(STALE_MEMO) from None


def next_dnr_serial(organisation_id: int, year: int) -> int:
    """The next serial for the organisation and year; safe when memos are created at once.

    The UPDATE takes the counter row's lock until commit, so concurrent creators queue; the
    first creator of a year inserts the row, and a racing second insert retries the UPDATE.
    """
    session = db.session()
    for _ in range(5):
        serial = session.execute(
            sa.update(DnrCounter)
            .where(DnrCounter.organisation_id == organisation_id, DnrCounter.year == year)
            .values(last_serial=DnrCounter.last_serial + 1)
            .returning(DnrCounter.last_serial)
        ).scalar_one_or_none()
        if serial is not None:
            return serial
        try:
            with session.begin_nested():
                session.add(DnrCounter(organisation_id=organisation_id, year=year, last_serial=1))
            return 1
        except IntegrityError:
            continue
    raise RuntimeError("could not assign a diarienummer")


def create_memo(
    author: User,
    content: DraftContent,
    uploads: Sequence[CheckedPdf] = (),
    *,
    memo_type: str | None = None,
) -> Memo:
    """A new draft of the type named (or the organisation's only one), with its diarienummer
    and its first version."""
    from attest.memos.types import chosen_type

    if not author.has_role(roles.HANDLAGGARE):
        raise Forbidden(_l("Bara handläggare kan skapa tjänsteutlåtanden."))
    content = _check_content(content)
    kind = chosen_type(author.organisation_id, memo_type)
    moment = clock.now()
    year = clock.local(moment).year
    memo = Memo(
        organisation_id=author.organisation_id,
        author=author,
        memo_type=kind.code,
        dnr_year=year,
        dnr_serial=next_dnr_serial(author.organisation_id, year),
        state=State.UTKAST.value,
        created_at=moment,
        updated_at=moment,
    )
    db.session().add(memo)
    version = _new_version(memo, author, content, previous=None, edits=(), uploads=uploads)
    db.session().flush()
    audit.record(
        "memo:created",
        actor=author,
        organisation=author.organisation,
        data={"memo": memo.id, "dnr": memo.dnr, "version": version.number, "type": kind.code},
    )
    return memo


def save_draft(
    memo: Memo,
    author: User,
    content: DraftContent,
    *,
    edits: Sequence[AttachmentEdit] = (),
    uploads: Sequence[CheckedPdf] = (),
    expected_lock_version: int | None = None,
) -> MemoVersion:
    """Save the draft as a new version; earlier versions stay as they were."""
    check_can_edit(author, memo)
    content = _check_content(content)
    if expected_lock_version is not None and expected_lock_version != memo.lock_version:
        raise Conflict(
            _l(
                "Tjänsteutlåtandet har ändrats sedan du öppnade det (det kan ha skickats eller "
                "sparats i en annan flik). Dina ändringar är inte sparade än: kopiera det du "
                "skrivit och ladda om sidan."
            )
        )
    lock_memo(memo)  # the state checked above cannot change under us from here on
    previous = memo.latest_version
    version = _new_version(memo, author, content, previous=previous, edits=edits, uploads=uploads)
    db.session().flush()
    audit.record(
        "memo:version:added",
        actor=author,
        organisation=memo.organisation,
        data={"memo": memo.id, "version": version.number},
    )
    return version


def _new_version(
    memo: Memo,
    author: User,
    content: DraftContent,
    *,
    previous: MemoVersion | None,
    edits: Sequence[AttachmentEdit],
    uploads: Sequence[CheckedPdf],
) -> MemoVersion:
    version = MemoVersion(
        number=(previous.number + 1) if previous else 1,
        created_at=clock.now(),
        created_by=author,
        rubrik=content.rubrik,
        underrubrik=content.underrubrik,
        meeting_date=content.meeting_date,
        subsections_json=json.dumps(content.subsections, ensure_ascii=False),
        **{name: getattr(content, name) for name in SECTION_FIELDS},
    )
    version.attachments = _attachments_for(previous, edits, uploads)
    memo.versions.append(version)
    return version


def _attachments_for(
    previous: MemoVersion | None, edits: Sequence[AttachmentEdit], uploads: Sequence[CheckedPdf]
) -> list[Attachment]:
    """The previous version's bilagor as edited (title, order, removal), then the new ones."""
    kept: list[tuple[int, int, str, Attachment]] = []
    by_id = {edit.attachment_id: edit for edit in edits}
    for index, old in enumerate(previous.attachments if previous else ()):
        edit = by_id.get(old.id)
        if edit is not None and edit.remove:
            continue
        title = " ".join(_normalise_text(edit.title).split()) if edit else old.title
        check_printable(title)
        position = edit.position if edit else old.position
        kept.append((position, index, title or old.title, old))
    kept.sort(key=lambda item: (item[0], item[1]))
    result = [
        Attachment(
            position=n,
            title=title[:MAX_TITLE_LENGTH],
            filename=old.filename,
            blob_sha256=old.blob_sha256,
            size=old.size,
            page_count=old.page_count,
            removed=old.removed,
        )
        for n, (_, _, title, old) in enumerate(kept, start=1)
    ]
    store = blobs.store()
    for upload in uploads:
        result.append(
            Attachment(
                position=len(result) + 1,
                # The title suggested by the file; what the PDF cannot print is left out.
                title=(printable(upload.title) or "Bilaga")[:MAX_TITLE_LENGTH],
                filename=upload.filename,
                blob_sha256=store.put(upload.data),
                size=len(upload.data),
                page_count=upload.page_count,
                removed=upload.removed_record(),
            )
        )
    return result


def may_see(user: User, memo: Memo) -> bool:
    """Who may open a memo: the people of its organisation, while it is not deleted.

    ``visible_to`` says the same as a query condition (lists and searches): change both.
    """
    return memo.organisation_id == user.organisation_id and State(memo.state) not in GONE_STATES


def visible_to(user: User) -> sa.ColumnElement[bool]:
    """The memos ``user`` may open, as a condition on Memo (the rule of ``may_see``)."""
    return sa.and_(
        Memo.organisation_id == user.organisation_id,
        Memo.state.not_in([state.value for state in GONE_STATES]),
    )


def get_memo(memo_id: int, user: User) -> Memo:
    """The memo if the user may see it; NotFound otherwise (no hint it exists)."""
    memo = db.session().get(Memo, memo_id)
    if memo is None or not may_see(user, memo):
        raise NotFound(_l("Tjänsteutlåtandet finns inte."))
    return memo


def can_edit(user: User, memo: Memo) -> bool:
    return memo.author_id == user.id and State(memo.state) in EDITABLE_STATES


def check_can_edit(user: User, memo: Memo) -> None:
    if memo.author_id != user.id:
        raise Forbidden(_l("Bara handläggaren som skrev tjänsteutlåtandet kan ändra det."))
    if State(memo.state) not in EDITABLE_STATES:
        raise Invalid(
            _l(
                "Tjänsteutlåtandet är skickat för attest och kan inte ändras. "
                "Återkalla det först om du behöver ändra något."
            )
        )


# The diarium's Dnr: letters (any alphabet), digits, spaces and . / : - _, with a digit.
DIARIUM_DNR_PATTERN = re.compile(r"[^\W_](?:[\w ./:-]*[\w.])?")
MAX_DIARIUM_DNR_LENGTH = 40


def set_diarium_dnr(
    memo: Memo, dnr: str | None, *, expected_lock_version: int | None = None
) -> Memo:
    """Give the memo the diarium's own Dnr (or take it away), while it is a draft.

    Only a draft: the frozen PDF prints it, and what was frozen cannot change. Unique in
    the organisation (the database says so too).
    """
    from flask_babel import gettext as _

    if expected_lock_version is not None and expected_lock_version != memo.lock_version:
        raise Conflict(STALE_MEMO)
    if State(memo.state) not in EDITABLE_STATES:
        raise Conflict(
            _("Diariets Dnr kan bara sättas på ett utkast: den frysta PDF:en trycker det.")
        )
    if dnr is not None:
        dnr = " ".join(dnr.split())
        if (
            not dnr
            or len(dnr) > MAX_DIARIUM_DNR_LENGTH
            or not DIARIUM_DNR_PATTERN.fullmatch(dnr)
            or not any(ch.isdigit() for ch in dnr)
        ):
            raise Invalid(
                _(
                    "Ett Dnr har högst %(n)d tecken: bokstäver, siffror (minst en), mellanslag "
                    "och . / : -, till exempel EÅV 2024/1234.",
                    n=MAX_DIARIUM_DNR_LENGTH,
                )
            )
        check_printable(dnr)
        taken = db.session().scalar(
            sa.select(Memo.id).where(
                Memo.organisation_id == memo.organisation_id,
                Memo.diarium_dnr == dnr,
                Memo.id != memo.id,
            )
        )
        if taken is not None:
            raise Conflict(_("Dnr %(dnr)s har redan ett annat tjänsteutlåtande.", dnr=dnr))
    lock_memo(memo)
    memo.diarium_dnr = dnr
    try:
        db.session().flush()
    except IntegrityError:  # the same Dnr set at the same moment on another memo
        db.session().rollback()
        raise Conflict(_("Dnr %(dnr)s har redan ett annat tjänsteutlåtande.", dnr=dnr)) from None
    audit.record(
        "memo:diarium_dnr:set",
        organisation=memo.organisation,
        data={"memo": memo.id, "dnr": memo.dnr, "diarium_dnr": dnr},
    )
    return memo
