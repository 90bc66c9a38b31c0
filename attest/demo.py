"""The demo förvaltning of the reference memo, one person per role, and the memo as a draft."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from attest import clock, db
from attest.attestation import keystore
from attest.demo_content import REFERENCE_BILAGA_TITLE, REFERENCE_MEMO, reference_bilaga_pdf
from attest.memos.bilagor import check_pdf
from attest.memos.models import Memo, MemoVersion
from attest.memos.operations import DraftContent, create_memo, save_draft
from attest.memos.rendering import pdf_organisation
from attest.orgs.models import Organisation
from attest.orgs.operations import add_organisation
from attest.users import roles
from attest.users.models import User
from attest.users.operations import add_user, ensure_builtin_roles

DEMO_PASSWORD = "attest-demo-2024"
DEMO_HANDLAGGARE = "evelyn"  # the author of the reference memo
REFERENCE_BILAGA_FILENAME = "Slutrapport-IOP-Dromstort.pdf"

DEMO_ORGANISATION = {
    "code": "EÅV",
    "name": "Enskede-Årsta-Vantörs stadsdelsförvaltning",
    "short_name": "Enskede-Årsta-Vantör",
    "board": "Enskede-Årsta-Vantörs stadsdelsnämnd",
    "postal_address": "Box 81\n121 22 Johanneshov",
    "switchboard": "08-508 14 000",
    "website": "start.stockholm",
}

# username, full name, title, department, phone, roles
DEMO_USERS = (
    (
        "evelyn",
        "Evelyn Garate Ormazabal",
        "Utvecklingssekreterare",
        "Avdelning HR och utveckling",
        "08-50814997",
        (roles.HANDLAGGARE,),
    ),
    (
        "jenny",
        "Jenny Johansson",
        "Avdelningschef",
        "Avdelning HR och utveckling",
        "08-50814100",
        (roles.AVDELNINGSCHEF,),
    ),
    (
        "anders",
        "Anders Carstorp",
        "Stadsdelsdirektör",
        "Stadsdelsdirektörens stab",
        "08-50814001",
        (roles.STADSDELSDIREKTOR,),
    ),
    ("karin", "Karin Lindqvist", "Registrator", "Kansliet", "08-50814020", (roles.REGISTRATOR,)),
    (
        "admin",
        "Mats Berglund",
        "Systemförvaltare",
        "Kansliet",
        "08-50814030",
        (roles.ADMINISTRATOR,),
    ),
)


@dataclass
class DemoReport:
    organisation_code: str
    users: list[tuple[str, str, str]] = field(default_factory=list)


def create_demo() -> DemoReport:
    """Create what is missing of the demo; running it again changes nothing."""
    session = db.session()
    ensure_builtin_roles()
    code = DEMO_ORGANISATION["code"]
    org = session.scalar(sa.select(Organisation).where(Organisation.code == code))
    if org is None:
        org = add_organisation(**DEMO_ORGANISATION)
    if current_app.config["SIGNING"] == "pades" and not keystore.has_pki(org):
        keystore.init_org_keys(org)  # before the users: each gets a key at creation
    report = DemoReport(organisation_code=code)
    for username, name, title, department, phone, role_codes in DEMO_USERS:
        if session.scalar(sa.select(User.id).where(User.username == username)) is None:
            add_user(
                username,
                full_name=name,
                title=title,
                department=department,
                phone=phone,
                email=f"{username}@example.se",
                organisation_code=code,
                password=DEMO_PASSWORD,
                roles=role_codes,
            )
        report.users.append((username, name, roles.BUILTIN_ROLES[role_codes[0]]))
    create_reference_memo(DEMO_HANDLAGGARE)
    return report


def create_reference_memo(username: str) -> Memo:
    """The reference memo as the handläggare's draft with its bilaga, unless it is there.

    The bilaga carries the memo's Dnr, which exists only once the memo does, so it is
    attached in a second version, as a handläggare would.
    """
    session = db.session()
    author = session.scalars(sa.select(User).where(User.username == username)).one()
    existing = session.scalar(
        sa.select(Memo)
        .join(MemoVersion)
        .where(Memo.author_id == author.id, MemoVersion.rubrik == REFERENCE_MEMO["rubrik"])
        .limit(1)
    )
    if existing is not None:
        return existing
    memo = create_memo(author, reference_content())
    bilaga = reference_bilaga_pdf(pdf_organisation(memo.organisation), memo.dnr, clock.today())
    upload = dataclasses.replace(
        check_pdf(REFERENCE_BILAGA_FILENAME, bilaga), title=REFERENCE_BILAGA_TITLE
    )
    save_draft(memo, author, reference_content(), uploads=[upload])
    return memo


def reference_content() -> DraftContent:
    r = REFERENCE_MEMO
    return DraftContent(
        rubrik=r["rubrik"],
        underrubrik=r["underrubrik"],
        meeting_date=r["meeting_date"],
        forslag_till_beslut=r["forslag_till_beslut"],
        sammanfattning=r["sammanfattning"],
        bakgrund=r["bakgrund"],
        arendet=r["arendet"],
        arendets_beredning=r["arendets_beredning"],
        synpunkter=r["synpunkter"],
        subsections=list(r["synpunkter_subsections"]),
    )
