"""Fill a database with N memos across M organisations, with realistic routes and states.

Run: .venv/bin/python bench/seed_scale.py --database-url postgresql+psycopg://... [--memos 100000]

Every organisation has its route (avdelningschef, then stadsdelsdirektör) and its people:
8 handläggare, 3 avdelningschefer, 1 stadsdelsdirektör, 2 registratorer, 1 administratör.
Memos are spread evenly over the period (three years by default). What is older than 90
days is attested (96 %) or an abandoned draft; of the last 90 days' memos 40 % are
attested, 35 % wait at the avdelningschef, 10 % at the stadsdelsdirektör, 15 % are drafts.
One memo in ten that was sent came back once (returned, with a comment, by the first
step) and went again as version 2: its first submission is voided. Each sending has its
steps, its verification code and history; each attested step its attestation and history.
Each memo's underrubrik names a place ("Kvarteret Dalvenkorsta"), nearly unique, which is
what a registrator searches the register for.

On PostgreSQL the rows go in with COPY, the indexes are built after the load, and VACUUM
ANALYZE leaves the tables as autovacuum would leave a live database: 100 000 memos (about
a million rows) take about 30 s on a busy 2-core machine. The PDFs are one shared small
blob: the lists never read them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
import uuid
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from attest import create_app, db, migrate  # noqa: E402
from attest.blobs import Blob  # noqa: E402
from attest.memos.models import DnrCounter, Memo, MemoVersion  # noqa: E402
from attest.orgs.models import Organisation  # noqa: E402
from attest.users.models import User, UserRole  # noqa: E402
from attest.users.operations import ensure_builtin_roles  # noqa: E402
from attest.workflow.engine import _CODE_ALPHABET  # noqa: E402
from attest.workflow.models import (  # noqa: E402
    Attestation,
    HistoryEntry,
    RouteDefinition,
    RouteDefinitionStep,
    Submission,
    SubmissionStep,
)

UTC = dt.timezone.utc
NOW = dt.datetime(2025, 12, 31, 12, 0, tzinfo=UTC)
THREE_YEARS = dt.timedelta(days=3 * 365)
RECENT = dt.timedelta(days=90)
BATCH = 10_000
WORDS = (
    "budget skola förskola äldreomsorg park idrott kultur bibliotek partnerskap trygghet "
    "upphandling lokal ungdom fritid integration arbetsmarknad stadsmiljö renovering"
).split()
# Place names ("Kvarteret Dalvenkorsta"): nearly one per memo, what a registrator searches.
SYLLABLES = (
    "al bo da ek fa gu hal is ja ka lin mo nor os pe ru sa tor ul ve sjö bri den fors "
    "gran holm kvarn lund mark näs"
).split()
# role, how many per organisation
PEOPLE = (
    ("handlaggare", 8),
    ("avdelningschef", 3),
    ("stadsdelsdirektor", 1),
    ("registrator", 2),
    ("administrator", 1),
)
ROUTE = (("avdelningschef", "Avdelningschef"), ("stadsdelsdirektor", "Stadsdelsdirektör"))
# What becomes of a memo: (state, attested steps) with its weight, by the memo's age.
RECENT_MIX = (
    (("attesterad", 2), 40),
    (("attest", 0), 35),
    (("attest", 1), 10),
    (("utkast", 0), 15),
)
OLDER_MIX = ((("attesterad", 2), 96), (("utkast", 0), 4))
RETURNED_ONCE = 0.10
BLOB_SHA = "0" * 64


def _app(url: str):
    os.environ.setdefault("ATTEST_INSTANCE_PATH", "/tmp/attest-seed")
    return create_app({"SECRET_KEY": "seed", "DATABASE_URL": url, "SIGNING": "record-only"})


def reset(url: str) -> None:
    """Drop every table and migrate afresh."""
    app = _app(url)
    with app.app_context():
        engine = db.engine()
        with engine.begin() as connection:
            db.Base.metadata.drop_all(connection)
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        migrate.upgrade(app)
    db.engine_of(app).dispose()


class _Writer:
    """Rows per table, written in batches: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, connection: sa.Connection):
        self.connection = connection
        self.copy = connection.dialect.name == "postgresql"
        self.rows: dict[sa.Table, list[dict[str, Any]]] = {}
        self.next_id: dict[sa.Table, int] = {}

    def add(self, model: Any, **row: Any) -> int | None:
        """Queue one row; give it the table's next id if the table has one."""
        table = model.__table__
        if "id" in table.c and "id" not in row:
            row["id"] = self.next_id.get(table, 1)
            self.next_id[table] = row["id"] + 1
        self.rows.setdefault(table, []).append(row)
        return row.get("id")

    def flush(self) -> None:
        # Parents before children: the order the tables were first added in.
        for table, rows in self.rows.items():
            if not rows:
                continue
            if self.copy:
                names = list(rows[0])
                raw = self.connection.connection.driver_connection
                with raw.cursor() as cursor:
                    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row([row[name] for name in names])
            else:
                self.connection.execute(sa.insert(table), rows)
            rows.clear()

    def drop_plain_indexes(self) -> list[str]:
        """On PostgreSQL, prepare a bulk load: drop the indexes that back no constraint.

        Returns the statements that build them again (faster once, after the load). The
        rows are consistent by construction, so the load also skips the per-row foreign
        key triggers (superuser only, this transaction only).
        """
        if not self.copy:
            return []
        self.connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        self.connection.execute(sa.text("SET LOCAL maintenance_work_mem = '256MB'"))
        rows = self.connection.execute(
            sa.text(
                "SELECT indexname, indexdef FROM pg_indexes i"
                " WHERE schemaname = current_schema() AND NOT EXISTS"
                " (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
            )
        ).all()
        for name, _ in rows:
            self.connection.execute(sa.text(f'DROP INDEX "{name}"'))
        return [definition for _, definition in rows]

    def set_sequences(self) -> None:
        if not self.copy:
            return
        for table in self.next_id:
            self.connection.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table.name}))"
                )
            )


def _pick(rng: random.Random, mix) -> tuple[str, int]:
    outcomes, weights = zip(*mix)
    return rng.choices(outcomes, weights)[0]


def seed(
    url: str,
    memos: int,
    orgs: int = 20,
    seed_value: int = 7,
    people=PEOPLE,
    span: dt.timedelta = THREE_YEARS,
) -> dict[str, int]:
    """A fresh database with ``memos`` memos created over the ``span`` before NOW."""
    rng = random.Random(seed_value)
    reset(url)
    app = _app(url)
    with app.app_context():
        ensure_builtin_roles()
        db.session().commit()
        connection = db.session().connection()
        out = _Writer(connection)
        indexes = out.drop_plain_indexes()
        start = NOW - span
        out.add(Blob, sha256=BLOB_SHA, size=4, data=b"%PDF", created_at=start)
        by_role: dict[tuple[int, str], list[int]] = {}
        for org_id in range(1, orgs + 1):
            out.add(
                Organisation,
                code=f"O{org_id:02d}",
                name=f"Organisation {org_id} stadsdelsförvaltning",
                short_name=f"Organisation {org_id}",
                board=f"Organisation {org_id} stadsdelsnämnd",
                postal_address="Box 1\n100 00 Stockholm",
                switchboard="08-508 00 000",
                website="start.stockholm",
                created_at=start,
            )
            route_id = out.add(
                RouteDefinition, organisation_id=org_id, memo_type="tjansteutlatande"
            )
            for position, (role, _) in enumerate(ROUTE, start=1):
                out.add(RouteDefinitionStep, route_id=route_id, position=position, role_code=role)
            for role, count in people:
                for _ in range(count):
                    user_id = out.next_id.get(User.__table__, 1)
                    out.add(
                        User,
                        organisation_id=org_id,
                        username=f"u{user_id}",
                        full_name=f"Person {user_id}",
                        title=role.capitalize(),
                        department="",
                        phone="",
                        email=f"u{user_id}@example.se",
                        password_hash="!",  # nobody logs in as a seeded user
                        active=True,
                        created_at=start,
                        # NOT NULL and unique since the person identifier (a column default
                        # that COPY does not apply): a fixed, distinct value per user.
                        person_id=str(uuid.UUID(int=user_id)),
                    )
                    out.add(UserRole, user_id=user_id, role_code=role)
                    by_role.setdefault((org_id, role), []).append(user_id)
        out.flush()

        counters: dict[tuple[int, int], int] = {}
        step = span / memos
        for n in range(memos):
            org_id = rng.randint(1, orgs)
            created = start + step * (n + rng.random())
            _memo(out, rng, org_id, created, by_role, counters)
            if n % BATCH == BATCH - 1:
                out.flush()
        for (org_id, year), serial in counters.items():
            out.add(DnrCounter, organisation_id=org_id, year=year, last_serial=serial)
        out.flush()
        out.set_sequences()
        for statement in indexes:
            connection.execute(sa.text(statement))
        db.session().commit()
        if out.copy:
            with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(sa.text("VACUUM ANALYZE"))
        users = out.next_id[User.__table__] - 1
    db.engine_of(app).dispose()
    return {"organisations": orgs, "users": users, "memos": memos}


def _memo(out: _Writer, rng, org_id, created, by_role, counters) -> None:
    """One memo with its versions, sendings, steps, attestations and history."""
    year = created.year
    counters[(org_id, year)] = serial = counters.get((org_id, year), 0) + 1
    author = rng.choice(by_role[(org_id, "handlaggare")])
    assignees = (
        rng.choice(by_role[(org_id, "avdelningschef")]),
        by_role[(org_id, "stadsdelsdirektor")][0],
    )
    state, attested = _pick(rng, RECENT_MIX if NOW - created < RECENT else OLDER_MIX)
    sent = state != "utkast"
    returned = sent and rng.random() < RETURNED_ONCE
    # sent, returned (and version 2 written), sent again, first and second attestation
    moments = sorted(created + dt.timedelta(hours=rng.random() * 24 * 14) for _ in range(5))
    sent_at, returned_at, sent_again_at, *attested_at = [min(m, NOW) for m in moments]
    last_sent_at = sent_again_at if returned else sent_at
    updated_at = (created, last_sent_at, *attested_at)[attested + 1] if sent else created
    memo_id = out.add(
        Memo,
        organisation_id=org_id,
        author_id=author,
        memo_type="tjansteutlatande",
        dnr_year=year,
        dnr_serial=serial,
        state=state,
        created_at=created,
        updated_at=updated_at,
        lock_version=1,
    )
    words = " ".join(rng.sample(WORDS, 4))
    place = "Kvarteret " + "".join(rng.choice(SYLLABLES) for _ in range(4)).capitalize()
    history = dict(memo_id=memo_id, acting_for_id=None, comment="", step_position=None)
    for number in (1, 2) if returned else (1,):
        version_id = out.add(
            MemoVersion,
            memo_id=memo_id,
            number=number,
            created_at=created if number == 1 else returned_at,
            created_by_id=author,
            rubrik=f"Ärende om {words}",
            underrubrik=place,
            meeting_date=None,
            forslag_till_beslut="Nämnden godkänner förvaltningens förslag.",
            sammanfattning=f"Förvaltningen föreslår åtgärder inom {words}. " * 3,
            bakgrund="Nämnden gav förvaltningen i uppdrag att utreda frågan. " * 4,
            arendet="",
            arendets_beredning="",
            synpunkter="",
            subsections_json="[]",
        )
        if not sent:
            continue
        first_of_two = returned and number == 1
        done = state == "attesterad" and not first_of_two
        steps_attested = 0 if first_of_two else attested
        sent_on = sent_at if number == 1 else sent_again_at
        submission_id = out.add(
            Submission,
            memo_id=memo_id,
            version_id=version_id,
            number=number,
            status="voided" if first_of_two else "attested" if done else "active",
            current_position=None if done or first_of_two else steps_attested + 1,
            current_assignee_id=None if done or first_of_two else assignees[steps_attested],
            created_at=sent_on,
            created_by_id=author,
            verification_code="".join(rng.choices(_CODE_ALPHABET, k=10)),
            frozen_pdf_sha256=BLOB_SHA,
            current_pdf_sha256=BLOB_SHA,
            step_waiting_since=None if done or first_of_two else updated_at,
            reminded_at=None,
            ended_at=attested_at[1] if done else returned_at if first_of_two else None,
        )
        out.add(
            HistoryEntry,
            **history,
            action="skicka",
            from_state="utkast",
            to_state="attest",
            actor_id=author,
            created_at=sent_on,
            version_number=number,
            submission_id=submission_id,
        )
        for position, (role, title) in enumerate(ROUTE, start=1):
            person = assignees[position - 1]
            out.add(
                SubmissionStep,
                submission_id=submission_id,
                position=position,
                role_code=role,
                role_title=title,
                assignee_id=person,
            )
            if position > steps_attested:
                continue
            out.add(
                Attestation,
                submission_id=submission_id,
                position=position,
                version_id=version_id,
                signer_id=person,
                acting_for_id=None,
                signer_name=f"Person {person}",
                signer_title=title,
                attested_at=attested_at[position - 1],
                certificate_sha256=None,
                pdf_sha256_before=BLOB_SHA,
                pdf_sha256_after=BLOB_SHA,
                timestamp_at=None,
                tsa=None,
            )
            out.add(
                HistoryEntry,
                **dict(history, step_position=position),
                action="attestera",
                from_state="attest",
                to_state="attesterad" if position == len(ROUTE) else "attest",
                actor_id=person,
                created_at=attested_at[position - 1],
                version_number=number,
                submission_id=submission_id,
            )
        if first_of_two:
            out.add(
                HistoryEntry,
                **dict(history, comment="Komplettera med en konsekvensanalys.", step_position=1),
                action="returnera",
                from_state="attest",
                to_state="utkast",
                actor_id=assignees[0],
                created_at=returned_at,
                version_number=number,
                submission_id=submission_id,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--memos", type=int, default=100_000)
    parser.add_argument("--orgs", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    counts = seed(args.database_url, args.memos, args.orgs)
    print(f"seeded {counts} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
