"""The world of tests/test_access_matrix.py: something of every kind for every route to name.

Built once per test session (the ``access_matrix`` world of tests/support/worlds.py, on top
of ``people``) and copied into each test's database, like the other worlds: memos in every
state (a draft with two versions, one sent, one attested, another organisation's), an API
token, a webhook with a delivery in the outbox, a colleague, an organisation's own role, a
substitution still to come, a stranger of another organisation with every role and a
newcomer's unused enrolment link. The facts are the ids and names the matrix's URLs take.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import Flask

from attest import db
from attest.api.tokens import create_token
from attest.clock import FixedClock
from attest.memos.bilagor import check_pdf
from attest.memos.operations import create_memo, save_draft
from attest.memos.types import memo_types
from attest.users import roles
from attest.users.operations import add_role, add_user, get_user, invite_user
from attest.webhooks.models import WebhookDelivery
from attest.webhooks.operations import add_endpoint
from attest.workflow.operations import attest_memo, submit_memo
from attest.workflow.submissions import active_submission
from attest.workflow.substitutes import add_substitution
from tests.support import factories

SECRET = "Hemligt ärende om Rågsved"  # in every memo of the organisation
STRANGER = "stranger"  # another organisation, with every role
# The webhook goes to 127.0.0.1 (never called): the world's app and the tests' allow it.
CONFIG = {"WEBHOOK_ALLOW_PRIVATE": True}


def _bilaga(name: str = "bilaga.pdf"):
    return check_pdf(name, factories.pdf_bytes(text=SECRET))


def build(app: Flask, clock: FixedClock) -> dict[str, Any]:
    """The world in ``app``'s database (which holds ``people``); its facts as plain values."""
    people = factories.People.load("EÅV", app)
    password = factories.PASSWORD
    with app.app_context():
        author = get_user(people.handlaggare.username)
        organisation = author.organisation
        token = create_token(organisation, "diariet", ["memos:read", "memos:write"])
        endpoint = add_endpoint(organisation, "http://127.0.0.1:9/hook", ["memo.sent"])
        colleague = factories.user(author.organisation, roles.HANDLAGGARE, username="hl-kollega")
        own_role = add_role("kontrollant", "Kontrollant", organisation=organisation)
        # Still to come: today it authorises nobody, so the workflow's rows hold.
        substitution = add_substitution(
            people.stadsdelsdirektor.username,
            roles.AVDELNINGSCHEF,
            dt.date(2024, 9, 1),
            dt.date(2024, 9, 30),
            for_username=people.avdelningschef.username,
        )
        factories.organisation("SÖ", name="Södermalms stadsdelsförvaltning")
        stranger = add_user(
            "främling",
            full_name="Sara Söder",
            organisation_code="SÖ",
            password=password,
            roles=list(roles.BUILTIN_ROLES),
        )
        db.session().commit()
        content = factories.content(rubrik=SECRET, sammanfattning=f"{SECRET}: text.")

        draft = create_memo(author, content, [_bilaga()])
        save_draft(draft, author, factories.content(rubrik=SECRET, sammanfattning="Version 2."))
        sent = create_memo(author, content, [_bilaga()])
        submit_memo(sent, author)
        attested = create_memo(author, content, [_bilaga()])
        submit_memo(attested, author)
        for person in (people.avdelningschef, people.stadsdelsdirektor):
            attest_memo(attested, get_user(person.username), password=password)
        theirs = create_memo(stranger, factories.content(rubrik="Södermalms ärende"), [_bilaga()])
        newcomer = invite_user(
            "nyanställd", full_name="Nora Ny", organisation_code="EÅV", roles=["handlaggare"]
        )
        db.session().commit()
        memos = {"draft": draft, "sent": sent, "attested": attested, "other": theirs}
        delivery = db.session().scalars(sa.select(WebhookDelivery)).first()
        assert delivery is not None
        return {
            "usernames": {
                STRANGER: stranger.username,
                "author": author.username,
                "colleague": colleague.username,
                **{
                    name: getattr(people, name).username
                    for name in ("avdelningschef", "stadsdelsdirektor")
                    + ("registrator", "administrator")
                },
            },
            "memos": {k: m.id for k, m in memos.items()},
            "bilagor": {k: m.versions[0].attachments[0].id for k, m in memos.items()},
            "lock_versions": {k: m.lock_version for k, m in memos.items()},
            "emails": [p.email for p in vars(people).values()],
            "enrolment_token": factories.link_token(newcomer.link),
            "admin": {
                "user_id": colleague.id,
                "role_code": own_role.code,
                "substitution_id": substitution.id,
                "type_id": memo_types(organisation.id)[0].id,
            },
            "api": {
                "token_id": token.token.id,
                "endpoint_id": endpoint.endpoint.id,
                "delivery_id": delivery.id,
            },
            "verification_codes": {
                k: active_submission(m).verification_code
                for k, m in memos.items()
                if active_submission(m) is not None
            },
        }
