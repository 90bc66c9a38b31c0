"""Test data made through the domain operations, the way the CLI and views make it."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from attest import db
from attest.orgs.operations import add_organisation
from attest.users import roles
from attest.users.operations import enrol, invite_user

PASSWORD = "correct horse battery"

_counter = itertools.count(1)


def organisation(code: str = "EÅV", **fields: Any):
    values = {
        "code": code,
        "name": "Enskede-Årsta-Vantörs stadsdelsförvaltning",
        "short_name": "Enskede-Årsta-Vantör",
        "board": "Enskede-Årsta-Vantörs stadsdelsnämnd",
        "postal_address": "Box 81\n121 22 Johanneshov",
        "switchboard": "08-508 14 000",
        "website": "start.stockholm",
    }
    values.update(fields)
    org = add_organisation(**values)
    db.session().commit()
    return org


def user(org, role: str, *, username: str | None = None, **fields: Any):
    username = username or f"{role}{next(_counter)}"
    values = {
        "full_name": f"Person {username}",
        "title": roles.BUILTIN_ROLES.get(role, role),
        "phone": "08-508 00 000",
        "email": f"{username}@example.se",
    }
    values.update(fields)
    return enrolled_user(username, organisation_code=org.code, roles=[role], **values)


def link_token(link) -> str:
    """The token of an enrolment link (the last part of its URL, as the person opens it)."""
    return link.url.rsplit("/", 1)[1]


def enrol_with_link(link, password: str = PASSWORD):
    """The person opens the link and chooses ``password`` (committed)."""
    person = enrol(link_token(link), password)
    db.session().commit()
    return person


def enrolled_user(username: str, *, password: str = PASSWORD, email: str = "", **fields: Any):
    """A person made as in production: invited, then enrolled with a password of their
    own through the enrolment link (the link's token read from its URL).

    The link is handed over rather than mailed, and the e-mail address given afterwards:
    the outbox then holds only what the tests themselves cause.
    """
    invitation = invite_user(username, **fields)
    db.session().commit()
    person = enrol_with_link(invitation.link, password)
    person.email = email
    db.session().commit()
    # Not holding this session's Role rows (each context loads its own): a test may hand
    # the person to operations in another context, with other people of the same role.
    for user_role in person.user_roles:
        db.session().expire(user_role, ["role"])
    return person


class People:
    """One person per built-in role in an organisation, made with these usernames."""

    USERNAMES = {
        "handlaggare": "hl-{code}",
        "avdelningschef": "ac-{code}",
        "stadsdelsdirektor": "sd-{code}",
        "registrator": "reg-{code}",
        "administrator": "adm-{code}",
    }

    @classmethod
    def load(cls, code: str, app=None) -> "People":
        """The people made earlier (in a world, see tests.support.worlds), read back."""
        from attest.users.operations import get_user

        def read() -> People:
            people = cls.__new__(cls)
            for attribute, username in cls.USERNAMES.items():
                setattr(people, attribute, get_user(username.format(code=code)))
            return people

        if app is None:
            return read()
        with app.app_context():
            return read()

    def __init__(self, org) -> None:
        self.handlaggare = user(
            org,
            roles.HANDLAGGARE,
            username=f"hl-{org.code}",
            full_name="Evelyn Garate Ormazabal",
            title="Utvecklingssekreterare",
        )
        self.avdelningschef = user(
            org, roles.AVDELNINGSCHEF, username=f"ac-{org.code}", full_name="Jenny Johansson"
        )
        self.stadsdelsdirektor = user(
            org, roles.STADSDELSDIREKTOR, username=f"sd-{org.code}", full_name="Anders Carstorp"
        )
        self.registrator = user(
            org, roles.REGISTRATOR, username=f"reg-{org.code}", full_name="Karin Lindqvist"
        )
        self.administrator = user(
            org, roles.ADMINISTRATOR, username=f"adm-{org.code}", full_name="Mats Berglund"
        )


def people(org) -> People:
    return People(org)


# What a memo type requires by default before sending (attest.memos.types.DEFAULT_REQUIRED).
SENDABLE: dict[str, Any] = {
    "forslag_till_beslut": "Nämnden godkänner förvaltningens förslag.",
    "meeting_date": dt.date(2024, 9, 19),
}


def content(**fields: Any):
    """A memo's content that can be sent: ``fields`` over the sections a type requires."""
    from attest.memos.operations import DraftContent

    return DraftContent(**{**SENDABLE, **fields})


def memo(author, *, uploads=(), **fields: Any):
    """A committed draft by ``author`` that can be sent; ``fields`` are DraftContent's."""
    from attest.memos.operations import create_memo

    created = create_memo(author, content(**{"rubrik": "Ett ärende", **fields}), uploads)
    db.session().commit()
    return created


def pdf_bytes(
    pages: int = 1, text: str = "Bilagans text", title: str = "", *, archival: bool = True
) -> bytes:
    """A real PDF made with reportlab: ``text`` and the page number on every page.

    archival: in an embedded font (DejaVu Sans, about 22 KB), as the intake wants a bilaga
    (attest.pdf.conformance), so that the memo frozen with it is PDF/A-2b; archival=False
    gives the standard Helvetica, not embedded (a small file that the intake refuses)."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from attest.pdf.fonts import FONT_NAME, register_fonts

    font = "Helvetica"
    if archival:
        register_fonts()
        font = FONT_NAME
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True, initialFontName=font)
    if title:
        pdf.setTitle(title)
    for number in range(1, pages + 1):
        pdf.setFont(font, 12)
        pdf.drawString(72, 750, f"{text} sida {number}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def encrypted_pdf_bytes(password: str = "hemligt") -> bytes:
    """A real PDF that needs a password to open."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf_bytes())).pages:
        writer.add_page(page)
    writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
