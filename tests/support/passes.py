"""The two passes of ``make test``, and how much generated input each one runs.

The whole suite runs on SQLite and again on PostgreSQL. The generated tests (hypothesis
examples, schemathesis calls, the hostile-PDF corpus) send hundreds of requests whose
variety is about parsing and validation, the same code on both databases; what the
database adds (a NUL byte PostgreSQL refuses, a rolled-back upload, a lock) shows on any of
them. So the SQLite pass runs them all and the PostgreSQL pass a fixed quarter: the first
examples of the same derandomized sequence, every fourth case of the corpus.
"""

from __future__ import annotations

import os
from typing import Any, Sequence, TypeVar

import pytest

T = TypeVar("T")

ON_POSTGRESQL = os.environ.get("ATTEST_TEST_DATABASE_URL", "").startswith("postgresql")
POSTGRESQL_SHARE = 4


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
