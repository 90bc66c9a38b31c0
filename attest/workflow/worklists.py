"""The lists on the start page: what waits for me, my memos, the attested register.

Each list comes a page at a time, read off an index in its own order, and is counted up
to a limit (``count_limit``; LIST_COUNT_LIMIT in the configuration): past it the page says
"fler än" (more than) instead of counting an organisation's whole history. So a page
costs the same with a hundred memos behind it or a hundred thousand, which
bench/bench_scale.py measures.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any, Generic, Mapping, Sequence, TypeVar

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import (
    aliased,
    defaultload,
    lazyload,
    load_only,
    selectinload,
)
from sqlalchemy.orm.interfaces import ORMOption

from attest import clock, db
from attest.memos.models import SEARCHED_TEXT, Memo, MemoVersion
from attest.users.models import User
from attest.workflow.definition import GONE_STATES, RETURNED_TITLE, Action, State, waiting_title
from attest.workflow.models import HistoryEntry, Submission, SubmissionStep, Substitution

T = TypeVar("T")

PER_PAGE = 25
# Past the counted pages "Nästa" still leads on; this bound keeps a made-up page number sane.
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, and how many rows the list has, counted up to a limit."""

    items: list[T]
    page: int
    per_page: int
    total: int  # the rows counted: all of them, or the limit when ``capped``
    capped: bool  # there are more than ``total`` rows
    has_next: bool

    @property
    def pages(self) -> int:
        """The pages counted: all of them, or, when capped, as many as there surely are."""
        if self.capped:
            return max(1, self.total // self.per_page)
        return max(1, -(-self.total // self.per_page))


def paginate(
    statement: sa.Select,
    order_by: Sequence[Any],
    page: int,
    per_page: int,
    count_limit: int | None = None,
    options: Sequence[ORMOption] = (),
    params: Mapping[str, Any] | None = None,
) -> Page[Any]:
    """The page of the statement's rows (entities, or tuples of them), and their number.

    The page reads one row more than it shows, to know whether another follows; when none
    does, the rows are counted already. Otherwise a count reads at most count_limit + 1
    rows (a LIMIT in a subquery; by default the LIST_COUNT_LIMIT setting), however long
    the history.

    params: the values of a statement built once with bind parameters (a module's
    constant). Its page and count statements are then built once too, and SQLAlchemy
    compiles each and computes its cache key once, instead of for every page shown.
    """
    count_limit = count_limit or current_app.config["LIST_COUNT_LIMIT"]
    page = min(max(1, page), MAX_PAGE)
    paged = _Paged(statement, tuple(order_by), tuple(options), params)
    rows = paged.rows(page, per_page)
    if len(rows) <= per_page and (rows or page == 1):  # the last page: all is known
        total = (page - 1) * per_page + len(rows)
        return Page(rows, page, per_page, total, False, False)
    total, capped = paged.count(count_limit)
    last = max(1, -(-total // per_page))
    if not rows and not capped and page > last:  # past the end: the last page instead
        page = last
        rows = paged.rows(page, per_page)
    return Page(rows[:per_page], page, per_page, total, capped, len(rows) > per_page)


@dataclass(frozen=True)
class _Paged:
    statement: sa.Select
    order_by: tuple[Any, ...]
    options: tuple[ORMOption, ...]
    params: Mapping[str, Any] | None

    def rows(self, page: int, per_page: int) -> list[Any]:
        """The page's rows and the first of the next page, if there is one."""
        limit, offset = per_page + 1, (page - 1) * per_page
        if self.params is None:
            ordered = self.statement.options(*self.options).order_by(*self.order_by)
            result = db.session().execute(ordered.limit(_number(limit)).offset(_number(offset)))
        else:
            result = db.session().execute(
                _page_statement(self.statement, self.order_by, self.options),
                {**self.params, "page_limit": limit, "page_offset": offset},
            )
        # One column or entity: its values, not rows of one (the statement's
        # column_descriptions say the same, at the cost of an ORM compile each page).
        single = len(result.keys()) == 1
        return list(result.scalars() if single else result.all())

    def count(self, limit: int) -> tuple[int, bool]:
        """(how many rows, up to the limit; whether there are more than that)."""
        if self.params is None:
            counted = db.session().scalar(_count_statement(self.statement, _number(limit + 1)))
        else:
            counted = db.session().scalar(
                _count_statement_of(self.statement), {**self.params, "count_limit": limit + 1}
            )
        return min(counted or 0, limit), (counted or 0) > limit


@functools.lru_cache(maxsize=32)
def _page_statement(
    statement: sa.Select, order_by: tuple[Any, ...], options: tuple[ORMOption, ...]
) -> sa.Select:
    return (
        statement.options(*options)
        .order_by(*order_by)
        .limit(_number("page_limit"))
        .offset(_number("page_offset"))
    )


@functools.lru_cache(maxsize=32)
def _count_statement_of(statement: sa.Select) -> sa.Select:
    return _count_statement(statement, _number("count_limit"))


def _number(value: int | str) -> sa.BindParameter[int]:
    """A LIMIT or OFFSET: a value, or a parameter's name; written into the SQL as a number.

    As a parameter, PostgreSQL would plan a prepared statement for any offset, at the cost
    of the whole list, and so never settle on one plan: it planned the worklist's six
    joins afresh on every page (2-3 ms), with a number 0.2 ms. Each page number is its own
    prepared statement then; nearly every page shown is the first.
    """
    if isinstance(value, str):
        return sa.bindparam(value, type_=sa.Integer, literal_execute=True)
    return sa.literal(value, sa.Integer, literal_execute=True)


def _count_statement(statement: sa.Select, limit: Any) -> sa.Select:
    first_rows = (
        statement.with_only_columns(sa.literal_column("1"), maintain_column_froms=True)
        .order_by(None)
        .limit(limit)
        .subquery()
    )
    return sa.select(sa.func.count()).select_from(first_rows)


# A list shows a version's rubrik, not the memo's whole text nor who saved it, and its
# people's names, not their roles: one query per page, plus one for the rubriks.
_LISTED_VERSION = (
    load_only(MemoVersion.number, MemoVersion.rubrik),
    lazyload(MemoVersion.created_by),
)
_LISTED_MEMO = (
    selectinload(Memo.versions).options(*_LISTED_VERSION),
    defaultload(Memo.author).lazyload(User.user_roles),
)
_NEWEST_FIRST = (Memo.updated_at.desc(), Memo.id.desc())


@dataclass(frozen=True)
class WaitingItem:
    """A row of "Att attestera": what the list shows of a memo waiting for me."""

    memo_id: int
    dnr: str
    rubrik: str  # of the version sent
    author_name: str
    waiting_since: dt.datetime | None
    acting_for: str | None  # whose step it is when it waits for me as t.f.


def worklist(
    user: User, page: int = 1, per_page: int = PER_PAGE, count_limit: int | None = None
) -> Page[WaitingItem]:
    """What waits for me: my steps, and my role's while I am t.f.; oldest wait first.

    Read off the index on (current assignee, waiting since), with only the columns the list
    shows: no memo, submission or person is built for a row (the start page is the page
    everyone opens; bench/bench_load.py measures it).
    """
    statement, params = _waiting(user)
    result = paginate(statement, _OLDEST_WAIT_FIRST, page, per_page, count_limit, params=params)
    code = user.organisation.code  # the memos are of the reader's own organisation
    me = user.id
    items = [
        WaitingItem(
            memo_id,
            Memo.format_dnr(code, year, serial),
            rubrik,
            author,
            since,
            None if assignee_id == me else assignee,
        )
        for memo_id, year, serial, rubrik, author, since, assignee_id, assignee in result.items
    ]
    return Page(items, result.page, per_page, result.total, result.capped, result.has_next)


def waiting_for(user: User, limit: int = PER_PAGE) -> list[WaitingItem]:
    """The first ``limit`` items of my worklist (the oldest)."""
    return worklist(user, 1, limit, count_limit=limit).items


_AUTHOR = aliased(User, name="author")
_ASSIGNEE = aliased(User, name="assignee")
# 'active' is written into the SQL, not bound: the connection prepares the statement and
# PostgreSQL then plans it once for any values (a generic plan). Knowing only "some
# status", that plan reads all of the person's waiting rows and sorts them; knowing
# 'active', it reads the page off the index in its order (bench/bench_scale.py).
_ACTIVE = sa.literal_column("'active'", sa.String())
# The worklist's rows for the person :user_id of :organisation_id, built once (building a
# statement costs more than running it); a person acting for someone adds conditions.
_WAITING = (
    sa.select(
        Memo.id,
        Memo.dnr_year,
        Memo.dnr_serial,
        MemoVersion.rubrik,
        _AUTHOR.full_name,
        Submission.step_waiting_since,
        SubmissionStep.assignee_id,
        _ASSIGNEE.full_name,
    )
    .select_from(Submission)
    .join(
        SubmissionStep,
        sa.and_(
            SubmissionStep.submission_id == Submission.id,
            SubmissionStep.position == Submission.current_position,
        ),
    )
    .join(Memo, Memo.id == Submission.memo_id)
    .join(MemoVersion, MemoVersion.id == Submission.version_id)
    .join(_AUTHOR, _AUTHOR.id == Memo.author_id)
    .join(_ASSIGNEE, _ASSIGNEE.id == SubmissionStep.assignee_id)
    .where(
        Submission.status == _ACTIVE,
        Memo.organisation_id == sa.bindparam("organisation_id"),
        Memo.author_id != sa.bindparam("user_id"),
    )
)
_MINE = Submission.current_assignee_id == sa.bindparam("user_id")
_WAITING_MINE = _WAITING.where(_MINE)
_OLDEST_WAIT_FIRST = (Submission.step_waiting_since, Submission.id)


def _waiting(user: User) -> tuple[sa.Select, dict[str, Any] | None]:
    """The worklist's statement, and its values when it is the one built once (most people
    hold no substitution); a person acting for someone gets theirs built, values bound."""
    values = {"user_id": user.id, "organisation_id": user.organisation_id}
    conditions = []
    # Read with the login session: most people hold no substitution, and their page asks
    # nothing more.
    held = [] if user.holds_substitution is False else select_substitutions(user, clock.today())
    for role_code, for_user_id in held:
        condition = SubmissionStep.role_code == role_code
        if for_user_id is not None:
            condition = sa.and_(condition, SubmissionStep.assignee_id == for_user_id)
        conditions.append(sa.and_(condition, SubmissionStep.assignee_id != user.id))
    if not conditions:
        return _WAITING_MINE, values
    return _WAITING.where(sa.or_(_MINE, *conditions)).params(**values), None


# The substitutions a person holds on a day: only what the worklist's condition needs (the
# role, and whom for), not the rows with their people; built once, its values bound.
_IN_FORCE = (
    sa.select(Substitution.role_code, Substitution.for_user_id)
    .where(
        Substitution.substitute_id == sa.bindparam("user_id"),
        Substitution.organisation_id == sa.bindparam("organisation_id"),
        Substitution.in_force(sa.bindparam("on", type_=sa.Date)),
    )
    .order_by(Substitution.id)
)


def select_substitutions(user: User, on: dt.date) -> list[tuple[str, int | None]]:
    """(role code, for whom or None) of each substitution ``user`` holds on the day ``on``."""
    rows = db.session().execute(
        _IN_FORCE, {"user_id": user.id, "organisation_id": user.organisation_id, "on": on}
    )
    return [(role_code, for_user_id) for role_code, for_user_id in rows]


def my_memos(
    user: User, page: int = 1, per_page: int = PER_PAGE, count_limit: int | None = None
) -> Page[Memo]:
    """The memos I wrote, newest change first (the index on author); not the deleted."""
    statement = sa.select(Memo).where(
        Memo.author_id == user.id, Memo.state.not_in([s.value for s in GONE_STATES])
    )
    return paginate(statement, _NEWEST_FIRST, page, per_page, count_limit, _LISTED_MEMO)


def attested_register(
    user: User,
    query: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
    count_limit: int | None = None,
) -> Page[Memo]:
    """Attested memos of the user's organisation, newest first, searchable by Dnr and text.

    The page is read off the index on (organisation, state, updated_at, id); a Dnr is
    looked up on its unique index; the text search looks in the memo's versions
    (``_in_text``: on PostgreSQL a rare text through the trigram index on SEARCHED_TEXT).
    """
    statement = sa.select(Memo).where(
        Memo.organisation_id == user.organisation_id, Memo.state == State.ATTESTERAD.value
    )
    statement = _matching(statement, query)
    return paginate(statement, _NEWEST_FIRST, page, per_page, count_limit, _LISTED_MEMO)


MAX_QUERY_LENGTH = 200


def _matching(statement: sa.Select, query: str) -> sa.Select:
    """Memos whose Dnr is the query (attest's or the diarium's), or whose text has it.

    A Dnr is looked up on its unique index; the text search looks in the memo's versions
    (``_in_text``, which on PostgreSQL asks the trigram index first: a query while the
    statement is built), the wildcards of LIKE escaped: "50%" finds "50%", not everything
    that starts with 50.
    """
    text = " ".join(query.split())[:MAX_QUERY_LENGTH]
    if not text:
        return statement
    dnr = _parse_dnr(text)
    if dnr is not None:
        year, serial = dnr
        return statement.where(
            sa.or_(
                sa.and_(Memo.dnr_year == year, Memo.dnr_serial == serial),
                Memo.diarium_dnr == text,
            )
        )
    like = f"%{_escape_like(text.lower())}%"
    return statement.where(sa.or_(_in_text(like), Memo.diarium_dnr == text))


# A text found in fewer versions than this (of every organisation) is looked up through
# the trigram index first; one found in more is looked for memo by memo, newest first.
SEARCH_PROBE = 2000


def _in_text(like: str) -> sa.ColumnElement[bool]:
    """The memo has a version whose text is LIKE ``like``.

    On PostgreSQL the trigram index finds a rare text's versions at once (1 ms for one
    hit among 110 000 versions), and the list is then those memos, read by key and
    sorted. A common text is in a page of the newest memos, and in 500 of them soon: the
    list walks its index newest first and tests memo by memo (``_memo_by_memo``). Measured
    at 100 000 memos, a register page with its count: one hit 3 ms (6 before), a word in
    1 000 versions 55 ms (97), in 24 000 versions 40-50 ms (270-350). SQLite has no such
    index and tests memo by memo either way.
    """
    versions = sa.select(MemoVersion.memo_id).where(SEARCHED_TEXT.like(like, escape="\\"))
    session = db.session()
    if session.get_bind().dialect.name == "postgresql":
        found = session.scalars(versions.limit(_number(SEARCH_PROBE))).all()
        if len(found) < SEARCH_PROBE:
            ids = sa.bindparam("found_memos", sorted(set(found)), type_=ARRAY(sa.Integer))
            return Memo.id == sa.any_(ids)
    return _memo_by_memo(versions)


def _memo_by_memo(versions: sa.Select) -> sa.Exists:
    """EXISTS one of the memo's versions among ``versions``, tested for each memo read.

    ``OFFSET 0`` keeps PostgreSQL from turning the test into a hash of every matching
    version of every memo, built before the first row is read: 130-350 ms for a common
    word at 100 000 memos, where a page needs a few dozen memos tested.
    """
    return versions.where(MemoVersion.memo_id == Memo.id).offset(_number(0)).exists()


@dataclass(frozen=True)
class Search:
    """What a person looks for among the memos they may see."""

    query: str = ""
    state: State | None = None
    start: dt.datetime | None = None  # changed at or after (UTC)
    end: dt.datetime | None = None  # changed before (UTC)
    handled_by_me: bool = False  # attested or returned by me


# What "Hanterade av mig" counts: the person's own decisions on a memo.
HANDLING_ACTIONS = (Action.ATTESTERA.value, Action.RETURNERA.value)


def search_memos(
    user: User,
    search: Search,
    page: int = 1,
    per_page: int = PER_PAGE,
    count_limit: int | None = None,
) -> Page[Memo]:
    """The memos the user may see (attest.memos.operations.visible_to) that match, newest
    change first, a page at a time and counted up to the limit like every list."""
    from attest.memos.operations import visible_to

    statement = _matching(sa.select(Memo).where(visible_to(user)), search.query)
    if search.state is not None:
        statement = statement.where(Memo.state == search.state.value)
    if search.start is not None:
        statement = statement.where(Memo.updated_at >= search.start)
    if search.end is not None:
        statement = statement.where(Memo.updated_at < search.end)
    if search.handled_by_me:
        handled = (
            sa.select(HistoryEntry.id)
            .where(
                HistoryEntry.actor_id == user.id,
                HistoryEntry.action.in_(HANDLING_ACTIONS),
                HistoryEntry.memo_id == Memo.id,
            )
            .exists()
        )
        statement = statement.where(handled)
    return paginate(statement, _NEWEST_FIRST, page, per_page, count_limit, _LISTED_MEMO)


def list_state_titles(memos: Sequence[Memo]) -> dict[int, Any]:
    """Each listed memo's state as a list says it: a draft back from an attester whose
    author has not sent it again reads "Returnerad", one waiting names the role it waits
    at ("Hos avdelningschef"); one query for the page's drafts, one for those waiting."""
    drafts = [m.id for m in memos if m.state == State.UTKAST.value]
    returned: set[int] = set()
    if drafts:
        last = (
            sa.select(sa.func.max(HistoryEntry.id).label("id"))
            .where(HistoryEntry.memo_id.in_(drafts))
            .group_by(HistoryEntry.memo_id)
            .subquery()
        )
        returned = set(
            db.session().scalars(
                sa.select(HistoryEntry.memo_id)
                .join(last, HistoryEntry.id == last.c.id)
                .where(HistoryEntry.action == Action.RETURNERA.value)
            )
        )
    waiting = _waiting_titles([m.id for m in memos if m.state == State.ATTEST.value])
    return {
        m.id: (RETURNED_TITLE if m.id in returned else waiting.get(m.id, State(m.state).label))
        for m in memos
    }


def _waiting_titles(memo_ids: Sequence[int]) -> dict[int, Any]:
    """What engine.state_title says of these memos (being attested), in one query: "Hos"
    the role of the current step of each one's latest live submission, if it has one."""
    if not memo_ids:
        return {}
    step = sa.and_(
        SubmissionStep.submission_id == Submission.id,
        SubmissionStep.position == Submission.current_position,
    )
    rows = db.session().execute(
        sa.select(Submission.memo_id, SubmissionStep.role_title)
        .outerjoin(SubmissionStep, step)
        .where(Submission.memo_id.in_(memo_ids), Submission.status.in_(("active", "attested")))
        .order_by(Submission.memo_id, Submission.number.desc())
    )
    titles: dict[int, Any] = {}
    for memo_id, role_title in rows:
        if memo_id not in titles:  # the latest submission (active_submission's)
            titles[memo_id] = waiting_title(role_title) if role_title else State.ATTEST.label
    return titles


def _parse_dnr(text: str) -> tuple[int, int] | None:
    """'EÅV 2024/123' or '2024/123' -> (2024, 123); None for anything else."""
    match = re.fullmatch(r"(?:\w{1,16}\s+)?(\d{4})\s*/\s*(\d{1,9})", text.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
