"""Fault tests (issue 8): concurrent attestations of one step, an edit racing an
attestation, the server killed with SIGKILL during freeze and attest, the database gone in
the middle of a request, a full disk while storing a bilaga, and `attest blobs check`.

The first four run `attest serve --prod` (gunicorn) in a subprocess on the test's database
(SQLite here, PostgreSQL in the PostgreSQL run) with real PAdES signing, talk to it over
HTTP like a browser, and check the database, the blobs and the audit chain afterwards; the
full disk is a real full filesystem under BLOB_DIR, reached through the test client.
``FAULTS_SEED`` picks another seed for the random kill points.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import http.client
import os
import random
import subprocess
import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from attest import blobs, db
from attest.attestation import keystore
from attest.attestation.audit_anchor import verify_audit
from attest.audit import verify_chain
from attest.audit.models import AuditEvent
from attest.clock import FixedClock
from attest.custody import software as software_custody
from attest.memos.bilagor import check_pdf
from attest.memos.models import Memo, MemoVersion
from attest.pki import dump_org_pki
from attest.pki.ca import load_certificate
from attest.users.operations import get_user
from attest.verify import verify_pdf
from attest.workflow.definition import State
from attest.workflow.models import HistoryEntry, Submission
from attest.workflow.operations import submit_memo
from tests.support import factories
from tests.support.database import POSTGRES_URL
from tests.support.servers import DatabaseProxy, Reply, Server, Visitor, form_fields, server_env

# servers killed, databases cut, disks filled: the system tests
pytestmark = pytest.mark.system

SEED = int(os.environ.get("FAULTS_SEED", "8"))
PASSWORD = factories.PASSWORD


@pytest.fixture
def clock() -> FixedClock:
    """Now: the server signs with the real clock, so the test's keys are issued now too."""
    return FixedClock(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))


@pytest.fixture(autouse=True)
def fast_org_keys(monkeypatch):
    """The organisation's keys encrypted with few PBKDF2 rounds, as the personal keys are in
    every test (KEY_KDF_ROUNDS): each server process decrypts them when it starts, and these
    tests start many."""
    monkeypatch.setattr(software_custody, "dump_org_pki", partial(dump_org_pki, rounds=1000))


@pytest.fixture
def servers(tmp_path):
    """Start servers with ``servers(app, ...)``; every one is stopped when the test ends."""
    started: list[Server] = []

    def start(app, *, env: dict[str, str] | None = None, **options) -> Server:
        server = Server(env or server_env(app), tmp_path / f"server-{len(started)}.log", **options)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


def _with_blob_dir(app, directory: Path) -> None:
    app.config["BLOB_DIR"] = str(directory)
    app.extensions.pop("attest.blobs", None)


def _drafts(app, people, count: int) -> list[int]:
    """Drafts by the handläggare, each with a two-page bilaga (frozen into its PDF)."""
    with app.app_context():
        author = get_user(people.handlaggare.username)
        ids = []
        for n in range(count):
            bilaga = check_pdf("bilaga.pdf", factories.pdf_bytes(pages=2, text=f"Bilaga {n}"))
            memo = factories.memo(
                author, rubrik=f"Ärende {n}", sammanfattning=f"Text {n}.", uploads=[bilaga]
            )
            ids.append(memo.id)
        return ids


# --- What no fault may leave behind -------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """A memo's place in the workflow, as the database has it."""

    state: str
    position: int | None
    attestations: int
    submissions: int
    lock_version: int


def snapshot(app, memo_id: int) -> Snapshot:
    with app.app_context():
        memo = db.session().get(Memo, memo_id)
        submissions = db.session().scalars(
            sa.select(Submission).where(Submission.memo_id == memo_id).order_by(Submission.number)
        )
        submissions = list(submissions)
        current = submissions[-1] if submissions else None
        return Snapshot(
            state=memo.state,
            position=current.current_position if current else None,
            attestations=sum(len(s.attestations) for s in submissions),
            submissions=len(submissions),
            lock_version=memo.lock_version,
        )


def _submission_problems(memo: Memo, submission: Submission, last: bool) -> list[str]:
    """One sending: its attestations a prefix of its steps, their PDFs a chain."""
    problems = []
    where = f"{memo.dnr} submission {submission.number}"
    positions = [s.position for s in submission.steps]
    attested = [a.position for a in submission.attestations]
    if attested != positions[: len(attested)]:
        problems.append(f"{where}: attested steps {attested} of {positions}")
    expected_before = submission.frozen_pdf_sha256
    for attestation in submission.attestations:
        if attestation.version_id != submission.version_id:
            problems.append(f"{where}: an attestation of another version than the one sent")
        if attestation.pdf_sha256_before != expected_before:
            problems.append(f"{where}: step {attestation.position} signed the wrong PDF")
        expected_before = attestation.pdf_sha256_after
    if submission.status == "active":
        if not last:
            problems.append(f"{where}: an earlier submission is still active")
        waiting = positions[len(attested)] if len(attested) < len(positions) else None
        if submission.current_position != waiting:
            problems.append(f"{where}: waits at step {submission.current_position}, not {waiting}")
        step = submission.current_step
        if step is None or submission.current_assignee_id != step.assignee_id:
            problems.append(f"{where}: the wrong person's turn")
        current = submission.attestations[-1].pdf_sha256_after if attested else None
        if submission.current_pdf_sha256 != (current or submission.frozen_pdf_sha256):
            problems.append(f"{where}: the current PDF is not the last signed one")
    elif submission.status == "attested":
        if attested != positions or submission.current_position is not None:
            problems.append(f"{where}: attested without every step")
        if submission.current_pdf_sha256 == submission.frozen_pdf_sha256:
            problems.append(f"{where}: attested without a final PDF")
    return problems


def consistency_problems(anchors: bool = True) -> list[str]:
    """What a crash must never leave: a memo half moved, a blob missing or changed, a
    broken audit chain. Empty when all is well (in an app context). ``anchors=False`` walks
    the hash chain without checking each timestamped head's token (those are rows of the
    same transactions; the last check of a test includes them)."""
    session = db.session()
    session.expire_all()
    problems: list[str] = []
    sendings = attestations = 0
    for memo in session.scalars(sa.select(Memo).order_by(Memo.id)):
        submissions = list(
            session.scalars(
                sa.select(Submission)
                .where(Submission.memo_id == memo.id)
                .order_by(Submission.number)
            )
        )
        statuses = [s.status for s in submissions]
        expected = {
            State.UTKAST.value: all(s == "voided" for s in statuses),
            State.ATTEST.value: statuses[-1:] == ["active"] and statuses.count("active") == 1,
            State.ATTESTERAD.value: statuses[-1:] == ["attested"] and "active" not in statuses,
        }
        if not expected[memo.state]:
            problems.append(f"{memo.dnr} is {memo.state} with submissions {statuses}")
        for number, submission in enumerate(submissions, start=1):
            problems += _submission_problems(memo, submission, number == len(submissions))
        history = list(
            session.scalars(sa.select(HistoryEntry.action).where(HistoryEntry.memo_id == memo.id))
        )
        done = sum(len(s.attestations) for s in submissions)
        if history.count("skicka") != len(submissions) or history.count("attestera") != done:
            problems.append(
                f"{memo.dnr}: the history does not match the submissions and attestations"
            )
        sendings += len(submissions)
        attestations += done
    audited = dict(
        session.execute(
            sa.select(AuditEvent.event, sa.func.count())
            .where(AuditEvent.event.in_(["memo:skicka", "memo:attestera"]))
            .group_by(AuditEvent.event)
        ).all()
    )
    if audited.get("memo:skicka", 0) != sendings:
        problems.append(f"audit log: {audited} for {sendings} submissions")
    if audited.get("memo:attestera", 0) != attestations:
        problems.append(f"audit log: {audited} for {attestations} attestations")
    stored = blobs.check_all()
    problems += [f"blob {p.sha256}: {p.reason}" for p in stored.problems]
    audit = verify_audit() if anchors else verify_chain()
    if not audit.ok:
        problems.append(f"audit chain broken at {audit.first_broken_seq}: {audit.reason}")
    session.rollback()
    return problems


def assert_consistent(app, anchors: bool = True) -> None:
    with app.app_context():
        assert consistency_problems(anchors) == []


# --- SIGKILL during freeze and attest -------------------------------------------------------


@dataclass(frozen=True)
class Action:
    kind: str  # "send", "attest", "attest-last": what it costs
    memo_id: int
    username: str
    path: str


def _route(memo_id: int, people) -> list[Action]:
    """A memo's way through: sent (frozen) by the handläggare, attested by both steps."""
    return [
        Action("send", memo_id, people.handlaggare.username, f"/memos/{memo_id}/skicka"),
        Action("attest", memo_id, people.avdelningschef.username, f"/memos/{memo_id}/attestera"),
        Action(
            "attest-last",
            memo_id,
            people.stadsdelsdirektor.username,
            f"/memos/{memo_id}/attestera",
        ),
    ]


def _prepare(server: Server, visitors: dict[str, Visitor], action: Action):
    """The person's browser, logged in, and the action's form as their memo page has it."""
    page_path = f"/memos/{action.memo_id}"
    visitor = visitors.get(action.username)
    page = visitor.get(page_path) if visitor else None
    if page is None or page.status != 200:  # the first time, or a kill ended the session
        visitor = visitors[action.username] = Visitor(server.url).login(action.username)
        page = visitor.get(page_path)
    fields = form_fields(page.text, action.path)
    if action.path.endswith("/attestera"):
        fields["password"] = PASSWORD
    return visitor, fields


def _post_or_none(visitor: Visitor, path: str, fields, into: list) -> None:
    try:
        into.append(visitor.post(path, fields))
    except (OSError, http.client.HTTPException):  # the server died under the request
        into.append(None)


def _done(reply: Reply, memo_id: int) -> bool:
    return reply.status == 302 and reply.location == f"/memos/{memo_id}"


KILLS = 20
# The tenth kill takes the master too and starts the server anew, now with BLOB_DIR: the
# other kills hit the worker serving the request, and gunicorn forks a new one.
WHOLE_SERVER_AT = 10


def test_sigkill_during_freeze_and_attest_leaves_no_half_state(
    app, signed_people, servers, tmp_path
):
    """The server killed with SIGKILL at random points while freezing and attesting, 20
    times (blobs in the database, then in a directory); after each restart no memo is half
    moved, every referenced blob is whole, the audit chain verifies, and the interrupted
    action retried succeeds."""
    people = signed_people
    rng = random.Random(SEED)
    memo_ids = _drafts(app, people, 1 + -(-KILLS // 3))
    server = servers(app, workers=1, threads=2)

    # The durations of the requests to kill, measured on a memo taken through unharmed.
    visitors: dict[str, Visitor] = {}
    durations: dict[str, float] = {}
    for action in _route(memo_ids[0], people):
        visitor, fields = _prepare(server, visitors, action)
        started = time.perf_counter()
        reply = visitor.post(action.path, fields)
        durations[action.kind] = time.perf_counter() - started
        assert _done(reply, action.memo_id), reply.text
    print("\nrequest durations (s):", {k: round(v, 3) for k, v in durations.items()})

    actions = [a for memo_id in memo_ids[1:] for a in _route(memo_id, people)]
    outcomes = []
    for number, action in enumerate(actions[:KILLS], start=1):
        visitor, fields = _prepare(server, visitors, action)
        before = snapshot(app, action.memo_id)
        delay = rng.uniform(0, durations[action.kind])
        replies: list[Reply | None] = []
        request = threading.Thread(
            target=_post_or_none, args=(visitor, action.path, fields, replies)
        )
        request.start()
        time.sleep(delay)
        if number == WHOLE_SERVER_AT:
            server.kill()
            request.join(timeout=60)
            _with_blob_dir(app, tmp_path / "blobs")
            server.env["ATTEST_BLOB_DIR"] = app.config["BLOB_DIR"]
            server.start()
        else:
            server.kill_workers()
            request.join(timeout=60)
        assert not request.is_alive()
        assert_consistent(app, anchors=False)

        after = snapshot(app, action.memo_id)
        retry = visitor.post(action.path, fields)
        if after == before:  # killed before it was committed: the retry does it
            assert _done(retry, action.memo_id), (action, retry.status, retry.text[:2000])
            assert snapshot(app, action.memo_id) != before
            outcome = "retried"
        else:  # committed before the kill: the same form again is refused, nothing twice
            assert retry.status == 409 or retry.location == "/auth/login", retry.status
            assert snapshot(app, action.memo_id) == after
            outcome = "committed"
        reply = replies[0]
        outcomes.append(
            f"{number:2} {action.kind:11} +{delay * 1000:3.0f} ms "
            f"{'server' if number == WHOLE_SERVER_AT else 'worker'}: "
            f"{'no reply' if reply is None else reply.status}, {outcome}"
        )
    print("\n".join(outcomes))

    # Everything after the last retry is whole too, the memos that got through validate,
    # and the operators' commands say the same.
    assert_consistent(app)
    with app.app_context():
        ca = load_certificate(keystore.ca_path("EÅV").read_bytes())
        finished = db.session().scalars(
            sa.select(Submission).where(Submission.status == "attested")
        )
        finished = list(finished)
        assert len(finished) == 1 + KILLS // 3
        for submission in finished:
            result = verify_pdf(blobs.store().get(submission.current_pdf_sha256), trust=[ca])
            assert result.verdict == "valid", [c.message for c in result.failed]
        assert list((tmp_path / "blobs").glob("*/*")), "the second half stored files"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    checked = runner.invoke(args=["blobs", "check"])
    assert checked.exit_code == 0 and "Alla " in checked.output, checked.output


# --- Concurrent attempts on one step ---------------------------------------------------------


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session().scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _send(app, memo_id: int) -> None:
    """Skicka för attest in the test's own process (freezing with the real keys)."""
    with app.app_context():
        memo = db.session().get(Memo, memo_id)
        submit_memo(memo, memo.author)
        db.session().commit()


def _in_parallel(count: int, work) -> list:
    """``work(i)`` in ``count`` threads released together; what each returned, in order."""
    barrier = threading.Barrier(count, timeout=120)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - a failure must show in the results
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def test_fifty_concurrent_attest_requests_give_exactly_one_attestation(app, signed_people, servers):
    """Fifty browsers of the attester post the attest form at once to gunicorn (two workers
    of 25 threads): one signs, 49 get 409, and nothing else is written."""
    people = signed_people
    [memo_id] = _drafts(app, people, 1)
    _send(app, memo_id)
    server = servers(app, workers=2, threads=25)
    path = f"/memos/{memo_id}/attestera"

    def browser(_i: int) -> tuple[Visitor, dict[str, str]]:
        visitor = Visitor(server.url).login(people.avdelningschef.username)
        return visitor, {**visitor.form(f"/memos/{memo_id}", path), "password": PASSWORD}

    # Logged in one after the other: fifty logins of one person at the same instant would
    # meet the attempt counters (at most LOGIN_MAX_FAILURES passwords tried at once).
    browsers = [browser(i) for i in range(50)]
    before = snapshot(app, memo_id)
    replies = _in_parallel(50, lambda i: browsers[i][0].post(path, browsers[i][1]))

    statuses = sorted((r.status if isinstance(r, Reply) else repr(r) for r in replies), key=str)
    assert statuses == [302] + [409] * 49
    assert all("har ändrats av någon annan" in r.text for r in replies if r.status == 409)
    after = snapshot(app, memo_id)
    assert (after.state, after.position, after.attestations) == ("attest", 2, 1)
    assert after.lock_version == before.lock_version + 1
    assert _count(app, AuditEvent, AuditEvent.event == "memo:attestera") == 1
    assert_consistent(app)


# --- An edit racing an attestation -----------------------------------------------------------

RACES = 4


def _edit_and_send_again(author: Visitor, memo_id: int, text: str) -> list[Reply]:
    """The author's edit after a withdrawal: a new version saved, then sent again."""
    edit_path = f"/memos/{memo_id}/edit"
    page = author.get(edit_path)
    if page.status != 200:
        return [page]  # not editable: the attestation came first
    fields = {**form_fields(page.text, edit_path, edit_path), "sammanfattning": text}
    saved = author.post(edit_path, fields)
    sent = author.post(
        f"/memos/{memo_id}/skicka", author.form(f"/memos/{memo_id}", f"/memos/{memo_id}/skicka")
    )
    return [saved, sent]


def test_an_edit_racing_an_attestation_has_one_winner(app, signed_people, servers):
    """The author withdraws a sent memo to edit it while the attester attests it, both from
    the same page state: either the attestation lands on the frozen version and the edit
    is refused, or the withdrawal wins and the attestation gets 409 — never both, and never
    a signature over a version other than the one sent."""
    people = signed_people
    memo_ids = _drafts(app, people, RACES)
    for memo_id in memo_ids:
        _send(app, memo_id)
    server = servers(app, workers=2, threads=4)
    author = Visitor(server.url).login(people.handlaggare.username)
    chef = Visitor(server.url).login(people.avdelningschef.username)
    rng = random.Random(SEED)
    tally = {"attest": 0, "withdraw": 0}
    for memo_id in memo_ids:
        page, attest_path = f"/memos/{memo_id}", f"/memos/{memo_id}/attestera"
        attest_form = {**chef.form(page, attest_path), "password": PASSWORD}
        withdraw_path = f"/memos/{memo_id}/aterkalla"  # its form is on its confirmation page
        withdraw_form = author.form(withdraw_path, withdraw_path)
        head_start = rng.uniform(-0.1, 0.1)  # > 0: the attester posts first

        def attester(_i: int) -> list[Reply]:
            time.sleep(max(0.0, -head_start))
            return [chef.post(attest_path, attest_form)]

        def handlaggare(_i: int) -> list[Reply]:
            time.sleep(max(0.0, head_start))
            withdrawn = author.post(f"/memos/{memo_id}/aterkalla", withdraw_form)
            return [withdrawn] + _edit_and_send_again(author, memo_id, f"Ändrad {memo_id}.")

        attested, edited = _in_parallel(2, lambda i: (attester, handlaggare)[i](i))
        [attest_reply], (withdraw_reply, *edit_replies) = attested, edited
        stale = chef.post(attest_path, attest_form)  # the attester's page, sent once more

        assert {attest_reply.status, withdraw_reply.status} == {302, 409}
        assert stale.status == 409
        with app.app_context():
            memo = db.session().get(Memo, memo_id)
            submissions = list(
                db.session().scalars(
                    sa.select(Submission)
                    .where(Submission.memo_id == memo_id)
                    .order_by(Submission.number)
                )
            )
            first = submissions[0]
            if attest_reply.status == 302:  # the attestation won: the edit was refused
                tally["attest"] += 1
                assert [r.status for r in edit_replies] == [403]
                assert [s.status for s in submissions] == ["active"]
                assert [a.position for a in first.attestations] == [1]
                assert [v.number for v in memo.versions] == [1]
            else:  # the withdrawal won: no signature on the old copy, none on the new one
                tally["withdraw"] += 1
                assert [r.status for r in edit_replies] == [302, 302]
                assert [s.status for s in submissions] == ["voided", "active"]
                assert [v.number for v in memo.versions] == [1, 2]
                assert submissions[1].version.number == 2
                assert all(not s.attestations for s in submissions)
            for attestation in first.attestations:
                assert attestation.version_id == first.version_id
                assert attestation.pdf_sha256_before == first.frozen_pdf_sha256
    print(f"\nraces won: {tally}")
    assert_consistent(app)


# --- The database restarted mid-request --------------------------------------------------


def _assert_unavailable_page(reply: Reply) -> None:
    assert reply.status == 503, (reply.status, reply.text[:2000])
    assert "Databasen går inte att nå just nu. Vänta en stund och försök igen." in reply.text
    assert "Tillfälligt otillgänglig" in reply.text and reply.headers["Retry-After"]


@pytest.mark.skipif(
    not POSTGRES_URL,
    reason="SQLite is a file inside the app's own process: there is no database server to "
    "restart (this runs in the PostgreSQL run)",
)
def test_a_database_restart_gives_503_and_the_retry_succeeds(
    app, signed_people, servers, database_url
):
    """The server reaches PostgreSQL through a proxy that drops every connection and refuses
    new ones for a moment, as a restart does: a request then gets a 503 page in Swedish
    (never a 500), writes nothing, and the same request afterwards succeeds on a pool that
    has replaced its dead connections."""
    people = signed_people
    draft_id, sent_id = _drafts(app, people, 2)
    _send(app, sent_id)
    target = make_url(database_url)
    proxy = DatabaseProxy((target.host or "127.0.0.1", target.port or 5432))
    proxy.start()
    try:
        env = server_env(app, ATTEST_DATABASE_URL=proxy.url(database_url))
        server = servers(app, env=env, workers=1, threads=4)
        author = Visitor(server.url).login(people.handlaggare.username)
        chef = Visitor(server.url).login(people.avdelningschef.username)

        # Down when a request comes in: a page load and the health check say so.
        proxy.cut()
        _assert_unavailable_page(author.get(f"/memos/{draft_id}"))
        health = Visitor(server.url).get("/healthz")
        assert health.status == 503 and '"database":"fel"' in health.text.replace(" ", "")
        proxy.resume()
        assert author.get(f"/memos/{draft_id}").status == 200

        # Gone in the middle of saving a draft: the new version's INSERT never arrives.
        edit_path = f"/memos/{draft_id}/edit"
        fields = {**author.form(edit_path, edit_path), "sammanfattning": "Ny text."}
        versions = _count(app, MemoVersion)
        cut = proxy.cut_when(b"INSERT INTO memo_versions")
        _assert_unavailable_page(author.post(edit_path, fields))
        assert cut.is_set()
        proxy.resume()
        assert _count(app, MemoVersion) == versions
        retried = author.post(edit_path, fields)
        assert retried.status == 302 and _count(app, MemoVersion) == versions + 1

        # Gone in the middle of an attestation: signed, but the row never written.
        attest_path = f"/memos/{sent_id}/attestera"
        fields = {**chef.form(f"/memos/{sent_id}", attest_path), "password": PASSWORD}
        before, events = snapshot(app, sent_id), _count(app, AuditEvent)
        cut = proxy.cut_when(b"INSERT INTO attestations")
        _assert_unavailable_page(chef.post(attest_path, fields))
        assert cut.is_set(), server.output(tail=80)
        proxy.resume()
        assert snapshot(app, sent_id) == before and _count(app, AuditEvent) == events
        assert_consistent(app)
        connections = proxy.connections
        retried = chef.post(attest_path, fields)
        assert _done(retried, sent_id), retried.text[:2000]
        after = snapshot(app, sent_id)
        assert (after.position, after.attestations) == (2, 1)
        assert proxy.connections > connections  # the pool replaced the dropped connections
        log = server.output(tail=None)
        assert log.count("database unavailable: ") == 3  # said to the operators, once each
        assert "Exception on" not in log  # Flask's words for an unhandled error (a 500)
        assert_consistent(app)
    finally:
        proxy.close()


# --- A full disk while storing a bilaga -------------------------------------------------------

BILAGA_BYTES = 5 * 1024 * 1024


def _large_pdf(size: int) -> bytes:
    """A one-page PDF of about ``size`` bytes that no compression shrinks (a content-stream
    comment of random hex)."""
    import io

    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    stream = DecodedStreamObject()
    stream.set_data(b"% " + os.urandom(size // 2).hex().encode() + b"\n")
    page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


class _Tmpfs:
    """BLOB_DIR on a small tmpfs, filled up for real: writes there fail with ENOSPC."""

    how = "a full tmpfs (ENOSPC)"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.filler = directory / "fyllnad"

    @contextlib.contextmanager
    def full(self):
        with self.filler.open("wb", buffering=0) as handle:
            with contextlib.suppress(OSError):
                while handle.write(b"\0" * 65536):
                    pass
        try:
            yield
        finally:
            self.filler.unlink()


class _FailingFsync:
    """The last resort, where nothing may be mounted (not root): os.fsync fails with ENOSPC,
    as it does on NFS or with quotas, where a full disk shows when the data is flushed.
    RLIMIT_FSIZE would be real too, but in this process it hits the test's own SQLite files
    and werkzeug's spooled upload before the blob."""

    how = "os.fsync raising ENOSPC (mount not allowed here)"

    def __init__(self, directory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.directory = directory
        self.monkeypatch = monkeypatch

    @contextlib.contextmanager
    def full(self):
        def no_room(_fd: int) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        with self.monkeypatch.context() as patch:
            patch.setattr(os, "fsync", no_room)
            yield


def _mount_tmpfs(directory: Path, size: int) -> bool:
    command = ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(directory)]
    try:
        return subprocess.run(command, capture_output=True).returncode == 0
    except OSError:  # no mount command
        return False


@pytest.fixture
def blob_disk(tmp_path, monkeypatch):
    """A directory for BLOB_DIR whose ``full()`` makes writes there fail for real."""
    directory = tmp_path / "blobs"
    directory.mkdir()
    if _mount_tmpfs(directory, 2 * BILAGA_BYTES):
        yield _Tmpfs(directory)
        subprocess.run(["umount", "-l", str(directory)], check=True)
    else:
        yield _FailingFsync(directory, monkeypatch)


def _blob_files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def test_a_full_disk_while_storing_a_bilaga_is_a_clear_error_and_the_draft_stays(
    app, people, auth, client, blob_disk, capsys
):
    """Uploading a bilaga when BLOB_DIR's filesystem is full: 507 with a Swedish message,
    the draft (text, bilagor, versions) unchanged, no half file; once there is room again
    the same upload succeeds."""
    from tests.support.memos import edit_form, post_form, upload

    _with_blob_dir(app, blob_disk.directory)
    [memo_id] = _drafts(app, people, 1)
    before = snapshot(app, memo_id)
    with app.app_context():
        version = db.session().get(Memo, memo_id).latest_version
        kept = (
            version.number,
            version.sammanfattning,
            [a.blob_sha256 for a in version.attachments],
        )
    files = _blob_files(blob_disk.directory)
    auth.login(people.handlaggare.username)
    edit = f"/memos/{memo_id}/edit"
    form = edit_form(client.get(edit).get_data(as_text=True), sammanfattning="Ny text.")
    bilaga = _large_pdf(BILAGA_BYTES)

    with blob_disk.full():
        refused = post_form(auth, edit, {**form, "bilagor": [upload(bilaga, "stor.pdf")]})
    with capsys.disabled():
        print(f"\nfull disk made with {blob_disk.how}")
    assert refused.status_code == 507
    page = refused.get_data(as_text=True)
    assert "Lagringsutrymmet för filer är fullt" in page and "Inget har ändrats." in page
    # The form comes back with what was typed; only the file must be chosen again.
    assert "Ny text.</textarea>" in page and "Välj filen igen" in page
    assert snapshot(app, memo_id) == before
    with app.app_context():
        version = db.session().get(Memo, memo_id).latest_version
        assert (
            version.number,
            version.sammanfattning,
            [a.blob_sha256 for a in version.attachments],
        ) == kept
    assert _blob_files(blob_disk.directory) == files  # nothing half written left behind

    saved = post_form(auth, edit, {**form, "bilagor": [upload(bilaga, "stor.pdf")]})
    assert saved.status_code == 302
    with app.app_context():
        version = db.session().get(Memo, memo_id).latest_version
        assert version.number == kept[0] + 1 and version.sammanfattning == "Ny text."
        assert [a.filename for a in version.attachments] == ["bilaga.pdf", "stor.pdf"]
        assert blobs.store().get(version.attachments[1].blob_sha256) == bilaga
    assert app.test_cli_runner().invoke(args=["blobs", "check"]).exit_code == 0


# --- attest blobs check -------------------------------------------------------------------


def test_blobs_check_finds_a_changed_blob_in_the_database(app, people, runner):
    [memo_id] = _drafts(app, people, 1)
    result = runner.invoke(args=["blobs", "check"])
    assert result.exit_code == 0
    assert "Alla 1 lagrade filer finns och stämmer med sina SHA-256 (1 hänvisningar)." in (
        result.output
    )
    with app.app_context():
        sha = db.session().get(Memo, memo_id).latest_version.attachments[0].blob_sha256
        db.session().execute(
            sa.update(blobs.Blob).where(blobs.Blob.sha256 == sha).values(data=b"%PDF-1.7 ANDRAD")
        )
        db.session().commit()
    result = runner.invoke(args=["blobs", "check"])
    assert result.exit_code == 1
    assert f"{sha}: innehållet stämmer inte med sin SHA-256" in result.output
    assert "Fel: 1 av 1 lagrade filer saknas eller är skadade." in result.output


def test_blobs_check_finds_a_missing_file_and_counts_leftovers_in_blob_dir(
    app, people, runner, tmp_path
):
    directory = tmp_path / "blobs"
    _with_blob_dir(app, directory)
    _drafts(app, people, 2)
    (directory / "ab").mkdir(exist_ok=True)
    (directory / "ab" / ("ab" + "0" * 62)).write_bytes(b"a file no row names")
    (directory / "ab" / ".tmp-halvskriven").write_bytes(b"%PDF-1.7 halv")
    result = runner.invoke(args=["blobs", "check"])
    assert result.exit_code == 0, result.output
    assert "Alla 2 lagrade filer" in result.output
    assert "1 filer i BLOB_DIR hör inte till någon rad" in result.output
    assert "1 halvskrivna temporära filer (.tmp-*)" in result.output
    missing = next(p for p in directory.glob("*/*") if p.name[:2] != "ab")
    missing.unlink()
    result = runner.invoke(args=["blobs", "check"])
    assert result.exit_code == 1
    assert f"{missing.name}: filen {missing} saknas" in result.output
