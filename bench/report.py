"""What every benchmark prints for bench/run.py's table, and side-by-side timing.

A ratio line is ``RATIO<TAB>label<TAB>value<TAB>target or -<TAB>detail``; bench/run.py
collects them from each script's output. A target reads ``<= 1.3`` or ``>= 30``.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable, Mapping


def ratio(label: str, value: float, target: str | None = None, detail: str = "") -> None:
    """Print one line of the table (flushed: run.py streams the output as it comes)."""
    clean = [part.replace("\t", " ").replace("\n", " ") for part in (label, target or "-", detail)]
    print(f"RATIO\t{clean[0]}\t{value:.3f}\t{clean[1]}\t{clean[2]}", flush=True)


def interleaved_ms(fns: Mapping[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median milliseconds of each function, called in turn runs times after one warm-up each.

    Alternating the calls makes a ratio of two of them fair on a shared machine: a burst of
    other work slows both sides of the ratio, not one.
    """
    for fn in fns.values():
        fn()  # imports, fonts, caches
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            started = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def percentile(samples: list[float], fraction: float) -> float:
    """The sample at this fraction of the sorted list (nearest rank, no interpolation)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


# The benchmarks' own PostgreSQL databases live beside the test database on this server.
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def fresh_database(name: str) -> str:
    """Create (or re-create, empty) the database ``name``; its URL."""
    import sqlalchemy as sa

    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_database(name: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()
