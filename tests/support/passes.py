"""The two passes of ``make test``, and how much generated input each one runs.

The whole suite runs on SQLite and again on PostgreSQL. The generated tests (hypothesis
examples, schemathesis calls, the hostile-PDF corpus) send hundreds of requests whose
variety is about parsing and validation, the same code on both databases; what the
database adds (a NUL byte PostgreSQL refuses, a rolled-back upload, a lock) shows on any of
them. So the SQLite pass runs them all and the PostgreSQL pass a fixed quarter: the first
examples of the same derandomized sequence, every fourth case of the corpus.

A test marked ``once`` says nothing about the database (it uses none, or is CPU work the same
on both): one pass runs it. When ``make test`` runs both passes side by side
(ATTEST_TEST_BOTH_PASSES=1, set only when PostgreSQL answers) they share these tests, so that
both end together: the modules in ONCE_IN_POSTGRESQL_PASS go to the PostgreSQL pass, the
rest to the SQLite pass. Run alone, the SQLite pass runs every one of them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence, TypeVar

import pytest

T = TypeVar("T")

ON_POSTGRESQL = os.environ.get("ATTEST_TEST_DATABASE_URL", "").startswith("postgresql")
POSTGRESQL_SHARE = 4
BOTH_PASSES = os.environ.get("ATTEST_TEST_BOTH_PASSES") == "1"
# About a fifth of the CPU of the `once` tests (verifying, and the console scripts run as
# subprocesses): what makes the two passes about equal, the Chromium suite being in the SQLite
# pass (measured with a per-test CPU plugin; the SQLite pass was the longer by 13-17 s).
ONCE_IN_POSTGRESQL_PASS = frozenset({"test_verify.py", "test_verify_bulk.py", "test_cli.py"})


def once_pass(item: Any) -> str:
    """The pass that runs this ``once`` test: "postgresql" or "sqlite"."""
    if BOTH_PASSES and Path(str(item.fspath)).name in ONCE_IN_POSTGRESQL_PASS:
        return "postgresql"
    return "sqlite"


def skip_once_tests_of_the_other_pass(items: list[Any]) -> None:
    """Mark the ``once`` tests that the other pass runs as skipped, saying which runs them."""
    this = "postgresql" if ON_POSTGRESQL else "sqlite"
    reasons = {
        "sqlite": "not about the database: runs in the SQLite pass",
        "postgresql": "not about the database: runs in the PostgreSQL pass of make test",
    }
    for item in items:
        if "once" in item.keywords:
            other = once_pass(item)
            if other != this:
                item.add_marker(pytest.mark.skip(reason=reasons[other]))


def examples(count: int) -> int:
    """How many hypothesis examples a generated test runs in this pass."""
    return max(count // POSTGRESQL_SHARE, 5) if ON_POSTGRESQL else count


def sample(cases: Sequence[T]) -> Sequence[T]:
    """The corpus cases this pass sends: all on SQLite, every fourth on PostgreSQL."""
    return cases[::POSTGRESQL_SHARE] if ON_POSTGRESQL else cases


def sampled_params(names: Sequence[str]) -> list[Any]:
    """Parameters for a corpus test: every one on SQLite; on PostgreSQL all but every fourth
    are skipped, saying so."""
    keep = set(sample(names))
    skip = pytest.mark.skip(reason="a fourth of this corpus runs on PostgreSQL, all on SQLite")
    return [name if name in keep else pytest.param(name, marks=skip) for name in names]
