"""Test data made through the domain operations, the way the CLI and views make it."""
from __future__ import annotations

import itertools
from typing import Any

from attest import db
from attest.orgs.operations import add_organisation
from attest.users import roles
from attest.users.operations import add_user

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
    person = add_user(
        username, organisation_code=org.code, password=PASSWORD, roles=[role], **values
    )
    db.session().commit()
    return person


class People:
    def __init__(self, org) -> None:
        self.handlaggare = user(org, roles.HANDLAGGARE, username=f"hl-{org.code}",
                                full_name="Evelyn Garate Ormazabal", title="Utvecklingssekreterare")
        self.avdelningschef = user(org, roles.AVDELNINGSCHEF, username=f"ac-{org.code}",
                                   full_name="Jenny Johansson")
        self.stadsdelsdirektor = user(org, roles.STADSDELSDIREKTOR, username=f"sd-{org.code}",
                                      full_name="Anders Carstorp")
        self.registrator = user(org, roles.REGISTRATOR, username=f"reg-{org.code}",
                                full_name="Karin Lindqvist")
        self.administrator = user(org, roles.ADMINISTRATOR, username=f"adm-{org.code}",
                                  full_name="Mats Berglund")


def people(org) -> People:
    return People(org)
