"""The demo förvaltning of the reference memo, with one person per role."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from attest import db
from attest.orgs.models import Organisation
from attest.orgs.operations import add_organisation
from attest.users import roles
from attest.users.models import User
from attest.users.operations import add_user, ensure_builtin_roles

DEMO_PASSWORD = "attest-demo-2024"

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
    ("evelyn", "Evelyn Garate Ormazabal", "Utvecklingssekreterare",
     "Avdelning HR och utveckling", "08-50814997", (roles.HANDLAGGARE,)),
    ("jenny", "Jenny Johansson", "Avdelningschef",
     "Avdelning HR och utveckling", "08-50814100", (roles.AVDELNINGSCHEF,)),
    ("anders", "Anders Carstorp", "Stadsdelsdirektör",
     "Stadsdelsdirektörens stab", "08-50814001", (roles.STADSDELSDIREKTOR,)),
    ("karin", "Karin Lindqvist", "Registrator",
     "Kansliet", "08-50814020", (roles.REGISTRATOR,)),
    ("admin", "Mats Berglund", "Systemförvaltare",
     "Kansliet", "08-50814030", (roles.ADMINISTRATOR,)),
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
    if session.scalar(sa.select(Organisation.id).where(Organisation.code == code)) is None:
        add_organisation(**DEMO_ORGANISATION)
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
    return report
