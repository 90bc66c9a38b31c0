"""Fill a database with N memos across M organisations, with realistic routes and states.

Run: .venv/bin/python bench/seed_scale.py --database-url postgresql+psycopg://... [--memos 100000]

Every organisation gets users per role; memos are spread over the last three years, about
70 % attested (two attestations), 15 % waiting at a step, 15 % drafts; every memo has one
or two versions, sent ones a submission with steps, a verification code and history. Rows
go in with bulk inserts (SQLAlchemy Core), in batches: 100 000 memos take about a minute
on PostgreSQL here. The PDFs are one shared small blob: the lists never read them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from attest import create_app, db, migrate  # noqa: E402
from attest.blobs import Blob  # noqa: E402
from attest.memos.models import DnrCounter, Memo, MemoVersion  # noqa: E402
from attest.orgs.models import Organisation  # noqa: E402
from attest.users.models import User, UserRole  # noqa: E402
from attest.users.operations import ensure_builtin_roles  # noqa: E402
from attest.workflow.engine import new_verification_code  # noqa: E402
from attest.workflow.models import (  # noqa: E402
    Attestation,
    HistoryEntry,
    Submission,
    SubmissionStep,
)

UTC = dt.timezone.utc
BATCH = 5000
START = dt.datetime(2023, 1, 1, tzinfo=UTC)
WORDS = (
    "budget skola förskola äldreomsorg park idrott kultur bibliotek partnerskap trygghet "
    "upphandling lokal ungdom fritid integration arbetsmarknad stadsmiljö renovering"
).split()
# role, how many per organisation
PEOPLE = (("handlaggare", 8), ("avdelningschef", 3), ("stadsdelsdirektor", 1), ("registrator", 2))


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


def seed(url: str, memos: int, orgs: int = 20, seed_value: int = 7, people=None) -> dict[str, int]:
    people = people or PEOPLE
    rng = random.Random(seed_value)
    reset(url)
    app = _app(url)
    with app.app_context():
        ensure_builtin_roles()
        db.session().commit()
        connection = db.session().connection()
        now = dt.datetime(2025, 12, 31, tzinfo=UTC)
        blob_sha = "0" * 64
        connection.execute(
            sa.insert(Blob), [dict(sha256=blob_sha, size=4, data=b"%PDF", created_at=now)]
        )
        org_rows = [
            dict(
                id=n,
                code=f"O{n:02d}",
                name=f"Organisation {n} stadsdelsförvaltning",
                short_name=f"Organisation {n}",
                board=f"Organisation {n} stadsdelsnämnd",
                postal_address="Box 1\n100 00 Stockholm",
                switchboard="08-508 00 000",
                website="start.stockholm",
                created_at=START,
            )
            for n in range(1, orgs + 1)
        ]
        connection.execute(sa.insert(Organisation), org_rows)
        users, roles, by_role = [], [], {}
        next_user = 1
        for org in org_rows:
            for role, count in people:
                for _ in range(count):
                    users.append(
                        dict(
                            id=next_user,
                            organisation_id=org["id"],
                            username=f"u{next_user}",
                            full_name=f"Person {next_user}",
                            title=role.capitalize(),
                            department="",
                            phone="",
                            email=f"u{next_user}@example.se",
                            password_hash="!",  # nobody logs in as a seeded user
                            active=True,
                            created_at=START,
                        )
                    )
                    roles.append(dict(user_id=next_user, role_code=role))
                    by_role.setdefault((org["id"], role), []).append(next_user)
                    next_user += 1
        connection.execute(sa.insert(User), users)
        connection.execute(sa.insert(UserRole), roles)

        memo_rows, version_rows, submission_rows, step_rows = [], [], [], []
        attestation_rows, history_rows = [], []
        counters: dict[tuple[int, int], int] = {}
        ids = {"version": 1, "submission": 1}
        span = (now - START).total_seconds()

        def flush() -> None:
            for model, rows in (
                (Memo, memo_rows),
                (MemoVersion, version_rows),
                (Submission, submission_rows),
                (SubmissionStep, step_rows),
                (Attestation, attestation_rows),
                (HistoryEntry, history_rows),
            ):
                if rows:
                    connection.execute(sa.insert(model), rows)
                    rows.clear()

        for memo_id in range(1, memos + 1):
            org_id = rng.randint(1, orgs)
            created = START + dt.timedelta(seconds=rng.random() * span)
            year = created.year
            counters[(org_id, year)] = serial = counters.get((org_id, year), 0) + 1
            author = rng.choice(by_role[(org_id, "handlaggare")])
            chef = rng.choice(by_role[(org_id, "avdelningschef")])
            director = by_role[(org_id, "stadsdelsdirektor")][0]
            roll = rng.random()
            state = "attesterad" if roll < 0.70 else "attest" if roll < 0.85 else "utkast"
            updated = created + dt.timedelta(days=rng.randint(0, 20))
            memo_rows.append(
                dict(
                    id=memo_id,
                    organisation_id=org_id,
                    author_id=author,
                    memo_type="tjansteutlatande",
                    dnr_year=year,
                    dnr_serial=serial,
                    state=state,
                    created_at=created,
                    updated_at=updated,
                    lock_version=1,
                )
            )
            words = " ".join(rng.sample(WORDS, 4))
            version_id = ids["version"]
            ids["version"] += 1
            version_rows.append(
                dict(
                    id=version_id,
                    memo_id=memo_id,
                    number=1,
                    created_at=created,
                    created_by_id=author,
                    rubrik=f"Ärende om {words}",
                    underrubrik="",
                    meeting_date=None,
                    forslag_till_beslut="Nämnden godkänner.",
                    sammanfattning=f"Sammanfattning om {words}.",
                    bakgrund="",
                    arendet="",
                    arendets_beredning="",
                    synpunkter="",
                    subsections_json="[]",
                )
            )
            if state != "utkast":
                submission_id = ids["submission"]
                ids["submission"] += 1
                done = state == "attesterad"
                attested = 2 if done else rng.randint(0, 1)
                submission_rows.append(
                    dict(
                        id=submission_id,
                        memo_id=memo_id,
                        version_id=version_id,
                        number=1,
                        status="attested" if done else "active",
                        current_position=None if done else attested + 1,
                        current_assignee_id=None if done else (chef, director)[attested],
                        created_at=created,
                        created_by_id=author,
                        verification_code=new_verification_code(),
                        frozen_pdf_sha256=blob_sha,
                        current_pdf_sha256=blob_sha,
                        step_waiting_since=None if done else created,
                        reminded_at=None,
                        ended_at=updated if done else None,
                    )
                )
                for position, (role, title, person) in enumerate(
                    (
                        ("avdelningschef", "Avdelningschef", chef),
                        ("stadsdelsdirektor", "Stadsdelsdirektör", director),
                    ),
                    start=1,
                ):
                    step_rows.append(
                        dict(
                            submission_id=submission_id,
                            position=position,
                            role_code=role,
                            role_title=title,
                            assignee_id=person,
                        )
                    )
                    if position <= attested:
                        attestation_rows.append(
                            dict(
                                submission_id=submission_id,
                                position=position,
                                version_id=version_id,
                                signer_id=person,
                                acting_for_id=None,
                                signer_name=f"Person {person}",
                                signer_title=title,
                                attested_at=created,
                                certificate_sha256=None,
                                pdf_sha256_before=blob_sha,
                                pdf_sha256_after=blob_sha,
                                timestamp_at=None,
                                tsa=None,
                            )
                        )
                history_rows.append(
                    dict(
                        memo_id=memo_id,
                        action="skicka",
                        from_state="utkast",
                        to_state="attest",
                        actor_id=author,
                        acting_for_id=None,
                        created_at=created,
                        comment="",
                        version_number=1,
                        submission_id=submission_id,
                        step_position=None,
                    )
                )
            if memo_id % BATCH == 0:
                flush()
        flush()
        connection.execute(
            sa.insert(DnrCounter),
            [dict(organisation_id=o, year=y, last_serial=n) for (o, y), n in counters.items()],
        )
        if connection.dialect.name == "postgresql":
            for table, column in (
                ("organisations", "id"),
                ("users", "id"),
                ("memos", "id"),
                ("memo_versions", "id"),
                ("submissions", "id"),
                ("attestations", "id"),
                ("memo_history", "id"),
            ):
                connection.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                        f"(SELECT coalesce(max({column}), 1) FROM {table}))"
                    )
                )
        db.session().commit()
        if connection.dialect.name == "postgresql":
            with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(sa.text("ANALYZE"))
    db.engine_of(app).dispose()
    return {"organisations": orgs, "users": len(users), "memos": memos}


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
