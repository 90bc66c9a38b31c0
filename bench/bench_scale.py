"""Do the lists hold at 100 000 memos? p50/p95 of each page at 100 memos and at 100 000.

Run: .venv/bin/python bench/bench_scale.py [--large 100000] [--rounds 300] [--explain]
Needs PostgreSQL at 127.0.0.1:5432 (user postgres): it creates the databases
attest_scale_small and attest_scale_large and seeds them (bench/seed_scale.py).

What is measured is what each page asks of the database, through the application's own
functions: the worklist (attest.workflow.worklists.worklist: count and page), the
register (attested_register: count and page), a Dnr looked up in the register, a word
searched for in it (one memo's place name, as a registrator looks a case up), a common
word searched for (a topic, in one memo in five: no target, as its count reads 500
matches at 100 000 and a score at 100), my memos (the start page's list), and the
/v/<code> lookup (by_verification_code and its memo).

The comparison is of the same page with 100 or 100 000 memos behind it. The large
database is 20 organisations over three years (seed_scale.py has the mix). The small one
is one organisation, with one person per attesting role, in its first 90 days with the
same mix of outcomes: its avdelningschef has a full worklist page and its registrator a
full register page, like the people measured in the large one (the avdelningschefer whose
worklist fills a page: most of them). Each page's row count is printed for both.

The two databases are measured side by side, page by page (the order alternating), so a
burst of other work on the machine slows both sides of a ratio, not one; garbage is
collected between rounds, outside the timing. Target: p95 at 100 000 within 1.2x of p95 at 100.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from attest import db  # noqa: E402
from attest.memos.models import Memo, MemoVersion  # noqa: E402
from attest.users.models import User, UserRole  # noqa: E402
from attest.workflow import worklists  # noqa: E402
from attest.workflow.models import Submission  # noqa: E402
from attest.workflow.submissions import by_verification_code  # noqa: E402
from bench.report import fresh_database, percentile, ratio  # noqa: E402
from bench.seed_scale import PEOPLE, WORDS, _app, seed  # noqa: E402

TARGET = 1.2
SMALL_PEOPLE = (
    ("handlaggare", 2),
    ("avdelningschef", 1),
    ("stadsdelsdirektor", 1),
    ("registrator", 1),
    ("administrator", 1),
)
SMALL_SPAN_DAYS = 90


@dataclass
class Subject:
    """One seeded database: its app, the people measured and what they look up."""

    label: str
    memos: int
    app: object
    chefs: list[int] = field(default_factory=list)
    clerks: list[int] = field(default_factory=list)
    authors: list[int] = field(default_factory=list)
    dnrs: dict[int, list[str]] = field(default_factory=dict)  # organisation -> Dnr
    places: dict[int, list[str]] = field(default_factory=dict)  # organisation -> search
    codes: list[str] = field(default_factory=list)
    shown: dict[str, list[int]] = field(default_factory=dict)  # query -> rows per call
    samples: dict[str, list[float]] = field(default_factory=dict)


def _people(session, role: str) -> list[User]:
    return list(
        session.scalars(
            sa.select(User).join(UserRole).where(UserRole.role_code == role).order_by(User.id)
        )
    )


def prepare(label: str, memos: int, url: str) -> Subject:
    subject = Subject(label, memos, _app(url))
    with subject.app.app_context():
        session = db.session()
        # Everyone whose page is full, as in the small database (there: the only one).
        subject.chefs = [
            u.id
            for u in _people(session, "avdelningschef")
            if len(worklists.worklist(u).items) == worklists.PER_PAGE
        ]
        subject.clerks = [u.id for u in _people(session, "registrator")]
        subject.authors = [
            u.id
            for u in _people(session, "handlaggare")
            if len(worklists.my_memos(u).items) == worklists.PER_PAGE
        ]
        attested = session.execute(
            sa.select(Memo.organisation_id, Memo.dnr_year, Memo.dnr_serial)
            .where(Memo.state == "attesterad")
            .order_by(sa.func.random())
            .limit(5000)
        )
        for organisation_id, year, serial in attested:
            subject.dnrs.setdefault(organisation_id, []).append(f"{year}/{serial}")
        places = session.execute(
            sa.select(Memo.organisation_id, MemoVersion.underrubrik)
            .join(MemoVersion, MemoVersion.memo_id == Memo.id)
            .where(Memo.state == "attesterad")
            .order_by(sa.func.random())
            .limit(5000)
        )
        for organisation_id, place in places:
            # "Kvarteret Dalvenkorsta" -> "dalvenkorsta": one memo's place, as typed
            subject.places.setdefault(organisation_id, []).append(place.split()[-1].lower())
        subject.codes = list(
            session.scalars(
                sa.select(Submission.verification_code).order_by(sa.func.random()).limit(5000)
            )
        )
    return subject


# Pages measured without the target, and why. A common word's page costs what counting its
# matches up to the limit costs: at 100 memos a score of them, at 100 000 the 500 of the
# limit, each memo's versions tested.
_WITHOUT_TARGET = {
    "register common word": "counted up to 500 matches at 100 000, all (a score) at 100",
}

_QUERY_NAMES = (
    "worklist",
    "register",
    "register Dnr",
    "register search",
    "register common word",
    "my memos",
    "verify by code",
)


def _queries(session, rng: random.Random, subject: Subject) -> dict[str, Callable[[], int]]:
    """Each page's database work for a random person, as a call returning rows shown."""

    def person(ids: list[int]) -> User:
        return session.get(User, rng.choice(ids))

    chef, clerk, author = person(subject.chefs), person(subject.clerks), person(subject.authors)
    dnr = rng.choice(subject.dnrs[clerk.organisation_id])
    place = rng.choice(subject.places[clerk.organisation_id])
    word = rng.choice(WORDS)  # a topic: in about one memo in five
    code = rng.choice(subject.codes)

    def lookup() -> int:
        submission = by_verification_code(code)
        return int(submission.memo.organisation_id is not None)

    return {
        "worklist": lambda: len(worklists.worklist(chef).items),
        "register": lambda: len(worklists.attested_register(clerk).items),
        "register Dnr": lambda: len(worklists.attested_register(clerk, dnr).items),
        "register search": lambda: len(worklists.attested_register(clerk, place).items),
        "register common word": lambda: len(worklists.attested_register(clerk, word).items),
        "my memos": lambda: len(worklists.my_memos(author).items),
        "verify by code": lookup,
    }


def measure(subjects: list[Subject], rounds: int, seed_value: int = 1) -> None:
    """Each round: every page for one random person of each database, the two side by side.

    Each page runs in its own app context (a request's session and connection), the small
    and the large database right after each other, the order alternating by round.
    """
    names = list(_QUERY_NAMES)
    gc.collect()
    gc.freeze()  # what setup left is not the pages' garbage: out of the collector's way
    gc.disable()
    try:
        for n in range(rounds):
            for name in names:
                for subject in subjects if n % 2 == 0 else subjects[::-1]:
                    with subject.app.app_context():
                        session = db.session()
                        session.connection()  # the request's connection, checked out
                        # the same person and lookups for every page of this round
                        rng = random.Random(f"{seed_value}-{n}-{subject.label}")
                        run = _queries(session, rng, subject)[name]
                        started = time.perf_counter()
                        shown = run()
                        elapsed = (time.perf_counter() - started) * 1000
                    subject.samples.setdefault(name, []).append(elapsed)
                    subject.shown.setdefault(name, []).append(shown)
            gc.collect()  # between rounds, outside the timing
    finally:
        gc.enable()
        gc.unfreeze()


def explain(subject: Subject) -> None:
    """EXPLAIN ANALYZE every statement the pages send, for one person each."""
    with subject.app.app_context():
        session = db.session()
        statements: list[tuple[str, object]] = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append((statement, parameters))

        engine = db.engine()
        sa.event.listen(engine, "before_cursor_execute", capture)
        for name, run in _queries(session, random.Random(2), subject).items():
            statements.clear()
            run()
            captured = list(statements)
            print(f"--- {name}: {len(captured)} statements")
            for statement, parameters in captured:
                raw = session.connection().connection.driver_connection
                with raw.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + statement, parameters)
                    plan = [row[0] for row in cursor.fetchall()]
                print("\n".join("    " + line for line in plan))
        sa.event.remove(engine, "before_cursor_execute", capture)


def _n(count: int) -> str:
    """100000 -> '100 000'."""
    return f"{count:,}".replace(",", " ")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--explain", action="store_true", help="print the large one's plans")
    args = parser.parse_args()
    started = time.perf_counter()
    subjects = []
    for label, count, orgs, people, span in (
        ("small", args.small, 1, SMALL_PEOPLE, dt.timedelta(days=SMALL_SPAN_DAYS)),
        ("large", args.large, 20, PEOPLE, dt.timedelta(days=3 * 365)),
    ):
        url = fresh_database(f"attest_scale_{label}")
        began = time.perf_counter()
        counts = seed(url, count, orgs, people=people, span=span)
        print(f"seeded {counts} in {time.perf_counter() - began:.1f} s", flush=True)
        subjects.append(prepare(label, count, url))
    small, large = subjects
    for subject in subjects:
        print(
            f"measured in the {subject.label} one: {len(subject.chefs)} avdelningschefer "
            f"with a full worklist page, {len(subject.clerks)} registratorer, "
            f"{len(subject.authors)} handläggare with a full page of their own memos",
            flush=True,
        )
    if args.explain:
        explain(large)
    began = time.perf_counter()
    measure(subjects, args.rounds)
    print(f"{args.rounds} rounds in {time.perf_counter() - began:.1f} s", flush=True)
    print(
        f"{'page':<16}{'rows':>9}{'p50 ' + str(small.memos):>12}{'p95 ' + str(small.memos):>12}"
        f"{'p50 ' + str(large.memos):>14}{'p95 ' + str(large.memos):>14}{'p95 ratio':>11}"
    )
    for name in small.samples:
        s50, s95 = statistics.median(small.samples[name]), percentile(small.samples[name], 0.95)
        l50, l95 = statistics.median(large.samples[name]), percentile(large.samples[name], 0.95)
        rows = f"{statistics.mean(small.shown[name]):.0f}/{statistics.mean(large.shown[name]):.0f}"
        print(
            f"{name:<16}{rows:>9}{s50:>10.2f}ms{s95:>10.2f}ms{l50:>12.2f}ms{l95:>12.2f}ms"
            f"{l95 / s95:>10.2f}x"
        )
    for name in small.samples:
        s95, l95 = percentile(small.samples[name], 0.95), percentile(large.samples[name], 0.95)
        detail = f"p95 {s95:.2f} ms at {_n(small.memos)} vs {l95:.2f} ms at {_n(large.memos)}"
        why = _WITHOUT_TARGET.get(name)
        ratio(
            f"{name} p95, {_n(large.memos)} / {_n(small.memos)} memos",
            l95 / s95,
            None if why else f"<= {TARGET}",
            f"{detail}; {why}: no target" if why else detail,
        )
    print(f"total {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
