"""Do the lists hold at 100 000 memos? p50/p95 at 100 memos and at 100 000, and the ratio.

Run: .venv/bin/python bench/bench_scale.py [--large 100000] [--queries 200]
Needs PostgreSQL at 127.0.0.1:5432 (user postgres): it creates the databases
attest_scale_small and attest_scale_large. The queries are the application's own
(worklists.waiting_for, worklists.attested_register, submissions.by_verification_code),
each run for a random person or code. The small database is one organisation with one
person per role, so its pages are (nearly) as full as the large one's: the comparison is
of the same page, with 100 or 100 000 memos behind it. Target: p95 at 100 000 within 1.2x
of p95 at 100.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from attest import db  # noqa: E402
from attest.users.models import User, UserRole  # noqa: E402
from attest.workflow import worklists  # noqa: E402
from attest.workflow.models import Submission  # noqa: E402
from attest.workflow.submissions import by_verification_code  # noqa: E402
from bench.seed_scale import _app, seed  # noqa: E402

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _database(name: str) -> str:
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def measure(url: str, queries: int, rng: random.Random) -> dict[str, tuple[float, float]]:
    app = _app(url)
    results: dict[str, list[float]] = {
        "worklist": [],
        "register": [],
        "register Dnr": [],
        "verify by code": [],
    }
    with app.app_context():
        session = db.session()

        def people(role: str) -> list[User]:
            return list(
                session.scalars(sa.select(User).join(UserRole).where(UserRole.role_code == role))
            )

        chefs, clerks = people("avdelningschef"), people("registrator")
        codes = list(session.scalars(sa.select(Submission.verification_code).limit(5000)))
        sample_memo = {}
        for _ in range(queries):
            chef, clerk, code = rng.choice(chefs), rng.choice(clerks), rng.choice(codes)
            for name, run in (
                ("worklist", lambda: worklists.waiting_for(chef)),
                ("register", lambda: worklists.attested_register(clerk)),
                ("register Dnr", lambda: worklists.attested_register(clerk, "2024/17")),
                ("verify by code", lambda: by_verification_code(code)),
            ):
                session.expunge_all()
                started = time.perf_counter()
                sample_memo[name] = run()
                results[name].append((time.perf_counter() - started) * 1000)
    db.engine_of(app).dispose()
    return {name: _percentiles(samples) for name, samples in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    runs = {}
    small_people = (
        ("handlaggare", 2),
        ("avdelningschef", 1),
        ("stadsdelsdirektor", 1),
        ("registrator", 1),
    )
    for label, count, orgs, people in (
        ("small", args.small, 1, small_people),
        ("large", args.large, 20, None),
    ):
        url = _database(f"attest_scale_{label}")
        started = time.perf_counter()
        seed(url, count, orgs, people=people)
        print(f"seeded {count} memos in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        runs[label] = measure(url, args.queries, random.Random(1))
    print(
        f"{'query':<16}{'p50 ' + str(args.small):>12}{'p95 ' + str(args.small):>12}"
        f"{'p50 ' + str(args.large):>14}{'p95 ' + str(args.large):>14}{'p95 ratio':>11}"
    )
    for name in runs["small"]:
        s50, s95 = runs["small"][name]
        l50, l95 = runs["large"][name]
        print(
            f"{name:<16}{s50:>10.2f}ms{s95:>10.2f}ms{l50:>12.2f}ms{l95:>12.2f}ms{l95 / s95:>10.2f}x"
        )


if __name__ == "__main__":
    main()
