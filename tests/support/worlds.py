"""Signed material built once per test session and put back per test.

Making an organisation's keys, the people's personal keys and attested memos is real
signing work (RSA keys, PAdES signatures, timestamps): seconds per memo. A *world* is such
a state, built the first time a test asks for it, through the same operations the CLI and
the views call, with the session's PKI and key pool; each test then gets its own copy of
the database and the keys folder (``restore``), as it gets a copy of the migrated template.

The worlds:
- ``org``: the organisation EÅV (no keys); the ``org`` fixture's database starts as it.
- ``people``: ``org`` plus one enrolled person per built-in role; the ``people`` fixture's
  database starts as it (tests/conftest.py picks the start when the test needs it).
- ``access_matrix``: ``people`` plus something of every kind for every route to name
  (tests/support/access_world.py); the ``access_matrix`` fixture's database starts as it.
- ``signed``: the organisation EÅV with its keys and one person per built-in role, each
  with a personal key.
- ``attested``: ``signed`` plus one memo sent and attested by Avdelningschef and
  Stadsdelsdirektör two hours apart (``facts["attested"]``).
- ``attested_over_days``: ``signed`` plus one memo attested a day after sending and the
  next day (``facts["attested"]``), the dates the reference memo has.
- ``three_days``: ``signed`` plus memos attested on 14, 15 and 16 August 2024 with 0, 1
  and 2 bilagor (``facts["three_days"]``).
- ``acting``: ``signed`` plus Petra Ersättare (a handläggare) registered t.f.
  stadsdelsdirektör for Anders Carstorp in August 2024, and a memo Jenny attested and Petra
  attested as t.f. (``facts["acting"]``).
- ``three_steps``: ``signed`` plus a route of three steps (avdelningschef, ekonomichef,
  stadsdelsdirektör) with Maria Lind as ekonomichef, and a memo attested by all three
  (``facts["three_steps"]``).
- ``two_organisations``: ``signed`` plus Skarpnäcks stadsdelsförvaltning (SKV) with a CA of
  its own and its people, and a memo attested there (``facts["second"]``).

Every frozen and attested PDF of a signed world is checked against PDF/A-2b when the world
is built (tests/support/pdfa.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from attest import blobs, create_app, db
from attest.attestation import keystore, personal
from attest.clock import FixedClock
from attest.memos.bilagor import check_pdf
from attest.memos.operations import create_memo
from attest.pki import OrgPki, PrivateKey
from attest.users.operations import ensure_builtin_roles, get_user
from attest.workflow.models import Submission
from attest.workflow.operations import attest_memo, submit_memo
from tests.support import access_world, database, factories, pdfa, shared

START = dt.datetime(2024, 8, 14, 7, 30, tzinfo=dt.timezone.utc)  # 09:30 in Stockholm


@dataclasses.dataclass(frozen=True)
class Attested:
    memo_id: int
    submission_id: int
    code: str
    pdf: bytes


def attest_one(
    app: Flask,
    people: Any,
    clock: FixedClock,
    *,
    rubrik: str = "Idéburet offentligt partnerskap",
    bilagor: int = 0,
    step: dt.timedelta = dt.timedelta(hours=2),
    attesters: tuple[str, ...] | None = None,
) -> Attested:
    """A memo sent and attested by Avdelningschef and Stadsdelsdirektör (or the usernames
    ``attesters``, step by step); its stored PDF."""
    with app.app_context():
        author = get_user(people.handlaggare.username)
        uploads = [
            check_pdf(f"bilaga-{n}.pdf", factories.pdf_bytes(n, f"Bilaga {n}"))
            for n in range(1, bilagor + 1)
        ]
        memo = create_memo(
            author,
            factories.content(rubrik=rubrik, sammanfattning="Slutrapporten summerar."),
            uploads,
        )
        submit_memo(memo, author)
        db.session().commit()
        names = attesters or (people.avdelningschef.username, people.stadsdelsdirektor.username)
        for username in names:
            clock.at += step
            attest_memo(memo, get_user(username), password=factories.PASSWORD)
            db.session().commit()
        submission = db.session().scalar(sa.select(Submission).where(Submission.memo_id == memo.id))
        assert submission is not None
        pdf = blobs.store().get(submission.current_pdf_sha256)
        return Attested(memo.id, submission.id, submission.verification_code, pdf)


# --- the worlds' builders -----------------------------------------------------------------


def _org(app: Flask, clock: FixedClock) -> dict[str, Any]:
    with app.app_context():
        factories.organisation()
    return {}


def _people(app: Flask, clock: FixedClock) -> dict[str, Any]:
    with app.app_context():
        factories.people(factories.organisation())
    return {}


def _access_matrix(app: Flask, clock: FixedClock) -> dict[str, Any]:
    _people(app, clock)
    return access_world.build(app, clock)


def _signed(app: Flask, clock: FixedClock) -> dict[str, Any]:
    with app.app_context():
        org = factories.organisation()
        keystore.init_org_keys(org)  # before the people: each gets a personal key
        factories.people(org)
    return {}


def _attested(app: Flask, clock: FixedClock) -> dict[str, Any]:
    _signed(app, clock)
    return {"attested": attest_one(app, factories.People.load("EÅV", app), clock)}


def _attested_over_days(app: Flask, clock: FixedClock) -> dict[str, Any]:
    _signed(app, clock)
    people = factories.People.load("EÅV", app)
    return {"attested": attest_one(app, people, clock, step=dt.timedelta(days=1))}


def _three_days(app: Flask, clock: FixedClock) -> dict[str, Any]:
    _signed(app, clock)
    people = factories.People.load("EÅV", app)
    made = []
    for day in range(3):
        made.append(attest_one(app, people, clock, rubrik=f"Ärende {day}", bilagor=day))
        clock.at += dt.timedelta(days=1)
    return {"three_days": tuple(made)}


def _acting(app: Flask, clock: FixedClock) -> dict[str, Any]:
    _signed(app, clock)
    from attest.orgs.operations import get_organisation
    from attest.workflow.substitutes import add_substitution

    with app.app_context():
        org = get_organisation("EÅV")
        factories.user(org, "handlaggare", username="petra", full_name="Petra Ersättare")
        add_substitution(
            "petra",
            "stadsdelsdirektor",
            dt.date(2024, 8, 1),
            dt.date(2024, 8, 31),
            for_username="sd-EÅV",
        )
        db.session().commit()
    people = factories.People.load("EÅV", app)
    made = attest_one(
        app, people, clock, rubrik="Attesterat av en t.f.", attesters=("ac-EÅV", "petra")
    )
    return {"acting": made}


def _three_steps(app: Flask, clock: FixedClock) -> dict[str, Any]:
    _signed(app, clock)
    from attest.orgs.operations import get_organisation
    from attest.users.operations import add_role
    from attest.workflow.routes import set_route

    with app.app_context():
        org = get_organisation("EÅV")
        add_role("ekonomichef", "Ekonomichef")
        factories.user(org, "ekonomichef", username="maria", full_name="Maria Lind")
        set_route(org, "tjansteutlatande", ["avdelningschef", "ekonomichef", "stadsdelsdirektor"])
        db.session().commit()
    people = factories.People.load("EÅV", app)
    made = attest_one(
        app, people, clock, rubrik="Tre steg", attesters=("ac-EÅV", "maria", "sd-EÅV")
    )
    return {"three_steps": made}


def _two_organisations(app: Flask, clock: FixedClock) -> dict[str, Any]:
    _signed(app, clock)
    with app.app_context():
        org = factories.organisation(
            "SKV",
            name="Skarpnäcks stadsdelsförvaltning",
            short_name="Skarpnäck",
            board="Skarpnäcks stadsdelsnämnd",
        )
        keystore.init_org_keys(org)
        factories.people(org)
    people = factories.People.load("SKV", app)
    return {"second": attest_one(app, people, clock, rubrik="Skarpnäcks ärende")}


# Made as the app tests run by default (SIGNING = "record-only": no keys); the others sign.
UNSIGNED = {"org", "people", "access_matrix"}
# Settings a world's app needs beyond the tests' defaults.
CONFIG: dict[str, dict[str, Any]] = {"access_matrix": access_world.CONFIG}

BUILDERS: dict[str, Callable[[Flask, FixedClock], dict[str, Any]]] = {
    "org": _org,
    "people": _people,
    "access_matrix": _access_matrix,
    "signed": _signed,
    "attested": _attested,
    "attested_over_days": _attested_over_days,
    "three_days": _three_days,
    "acting": _acting,
    "three_steps": _three_steps,
    "two_organisations": _two_organisations,
}


def _assert_archival(app: Flask) -> None:
    """Every PDF a world made is PDF/A-2b: each frozen version and each as it stands."""
    with app.app_context():
        store = blobs.store()
        for submission in db.session().scalars(sa.select(Submission)):
            label = f"submission {submission.id}"
            pdfa.assert_pdfa(store.get(submission.frozen_pdf_sha256), f"{label} (frozen)")
            if submission.current_pdf_sha256 != submission.frozen_pdf_sha256:
                pdfa.assert_pdfa(store.get(submission.current_pdf_sha256), f"{label} (now)")


@dataclasses.dataclass(frozen=True)
class World:
    name: str
    snapshot: database.Snapshot
    keys_dir: Path
    clock_at: dt.datetime  # where the clock stood when the world was made
    facts: dict[str, Any]


class Worlds:
    """The session's worlds, each built on first use."""

    def __init__(
        self,
        template_url: str,
        folder: Path,
        pki_for: Callable[[str], OrgPki],
        key_pool: Callable[[], list[PrivateKey]],
    ) -> None:
        self._template_url = template_url
        self._folder = folder
        self._pki_for = pki_for  # PKIs and keys are made only when a signed world is built
        self._key_pool = key_pool
        self._built: dict[str, World] = {}

    def get(self, name: str) -> World:
        if name not in self._built:
            # Built by the first xdist worker that asks; the others read it (shared.py).
            self._built[name] = shared.make_once(
                f"world-{name}",
                lambda: self._build(name),
                shared.pickled,
                shared.unpickled,
            )
        return self._built[name]

    def _build(self, name: str) -> World:
        instance = (shared.folder() or self._folder) / f"world-{name}"
        instance.mkdir()
        url = database.fresh_database(self._template_url, instance)
        clock = FixedClock(START)
        config = {**database.base_config(instance, url), **CONFIG.get(name, {}), "CLOCK": clock}
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("ATTEST_INSTANCE_PATH", str(instance))
            if name not in UNSIGNED:
                config["SIGNING"] = "pades"
                keys = itertools.cycle(self._key_pool())
                patch.setattr(
                    keystore, "create_org_pki", lambda name, code, now: self._pki_for(code)
                )
                patch.setattr(personal, "generate_personal_key", lambda: next(keys))
            app = create_app(config)
            with app.app_context():
                ensure_builtin_roles()
                db.session().commit()
            facts = BUILDERS[name](app, clock)
            if name not in UNSIGNED:
                _assert_archival(app)
            snapshot = database.capture(app, instance)
        return World(name, snapshot, instance / "keys", clock.now(), facts)

    def fresh_database(self, name: str, tmp_path: Path) -> str:
        """A database for one test that starts as the (unsigned) world."""
        assert name in UNSIGNED, "a signed world has keys too: restore it into the app"
        return database.fresh_copy(self._template_url, self.get(name).snapshot, tmp_path)

    def restore(self, name: str, app: Flask, clock: FixedClock) -> World:
        """Make ``app``'s database and keys folder the world's; move the clock to its end."""
        world = self.get(name)
        database.restore(app, world.snapshot)
        shutil.copytree(world.keys_dir, app.config["KEYS_DIR"], dirs_exist_ok=True)
        clock.at = world.clock_at
        return world
