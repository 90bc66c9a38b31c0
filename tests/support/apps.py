"""What each test's app shares with the other apps of its worker: the compiled work that is
the same for every app, so that a test pays for its own app's configuration only.

Every test makes its own app (``create_app``: about 45 ms of CPU), and two thirds of that is
compiling the same things again: Jinja's templates and Werkzeug's URL builders (a Python
function per route, made from an AST). Both are pure functions of what they compile, so
they are compiled once per worker and reused.

The same holds for SQLAlchemy: an engine keeps the SQL it compiled for each statement (and
its dialect what it learnt from the server when it first connected), so a new engine per
test compiled every query of every page again, about a third of a web test's CPU. Apps of
one worker with the same database URL share one engine (``shared_engine``); each test's
database is at the same URL (tests/conftest.py), and its connections are closed when the
test ends.
"""

from __future__ import annotations

from typing import Any, Callable

import jinja2
import jinja2.bccache
from sqlalchemy.engine import Engine
from werkzeug.routing import rules

from attest import db


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._compiled:
            bucket.bytecode_from_string(self._compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


# Jinja's bytecode cache, keyed by each template's name and source.
JINJA_BYTECODE = _MemoryBytecodeCache()

_compile_builder = rules.Rule._compile_builder
_builders: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}


def _builder_key(rule: rules.Rule, append_unknown: bool) -> tuple[Any, ...]:
    """Everything Werkzeug's builder is made from (Rule._compile_builder reads these)."""
    defaults = rule.defaults or {}
    return (
        tuple(rule._trace),
        tuple(sorted((str(k), repr(v)) for k, v in defaults.items())),
        tuple(
            sorted((k, type(c).__qualname__) for k, c in rule._converters.items() if k in defaults)
        ),
        append_unknown,
    )


def _cached_compile_builder(
    self: rules.Rule, append_unknown: bool = True
) -> Callable[..., tuple[str, str]]:
    key = _builder_key(self, append_unknown)
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _compile_builder(self, append_unknown)
    return builder


def share_compiled_routes() -> None:
    """Werkzeug's URL builders made once per worker (the builder takes the rule as its
    first argument: one function serves every app's rule of the same shape)."""
    rules.Rule._compile_builder = _cached_compile_builder  # type: ignore[method-assign]


_make_engine = db.make_engine
_engines: dict[tuple[str, int, int, bool], Engine] = {}


def shared_engine(
    url: str, *, pool_size: int = 5, max_overflow: int = 10, prepared: bool = True
) -> Engine:
    """``attest.db.make_engine``, one engine per URL and pool settings in this worker.

    The engine's pool is disposed when each test's app is (tests/conftest.py), so a test
    never gets a connection another test opened; what it reuses is compiled SQL.
    """
    key = (url, pool_size, max_overflow, prepared)
    engine = _engines.get(key)
    if engine is None:
        engine = _engines[key] = _make_engine(
            url, pool_size=pool_size, max_overflow=max_overflow, prepared=prepared
        )
    return engine
