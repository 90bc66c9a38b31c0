"""The workflow engine: every declared transition, every guard refusal, routes as data."""

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from attest import db
from attest.errors import Conflict, Forbidden, Invalid
from attest.memos.models import Memo
from attest.memos.operations import create_memo, save_draft
from attest.orgs.operations import get_organisation
from attest.users.operations import add_role, get_user
from attest.workflow import notifications, worklists
from attest.workflow.definition import TRANSITIONS, Action, State, Target, exits
from attest.workflow.engine import apply_transition, available, state_title
from attest.workflow.models import Attestation, HistoryEntry, OutboxMail, Submission
from attest.workflow.operations import attest_memo, return_memo, submit_memo, withdraw_memo
from attest.workflow.routes import set_route
from attest.workflow.substitutes import add_substitution
from tests.support import factories


def _u(username):
    return get_user(username)


def _memo(author, rubrik="Idéburet offentligt partnerskap", **fields):
    memo = create_memo(
        author, factories.content(rubrik=rubrik, sammanfattning="Första texten.", **fields)
    )
    db.session().commit()
    return memo


def _reload(memo):
    db.session().expire_all()
    return db.session().get(Memo, memo.id)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "DATABASE_POOL_SIZE": 25}  # the concurrency test's 20 threads


@pytest.fixture
def ctx(app, people):
    with app.app_context():
        yield people


# --- the definition ---------------------------------------------------------------


def test_every_state_is_reachable_and_attesterad_has_no_exit():
    reachable, frontier = {State.UTKAST}, [State.UTKAST]
    while frontier:
        state = frontier.pop()
        for transition in exits(state):
            targets = (
                {State.ATTEST, State.ATTESTERAD}
                if transition.target is Target.NEXT_STEP
                else {transition.target}
            )
            for target in targets - reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == set(State)
    assert exits(State.ATTESTERAD) == ()


def test_only_returnera_requires_a_comment():
    assert {a for a, t in TRANSITIONS.items() if t.comment_required} == {Action.RETURNERA}


def test_the_database_refuses_an_undeclared_state(ctx):
    memo = _memo(_u(ctx.handlaggare.username))
    with pytest.raises(sa.exc.IntegrityError):
        db.session().execute(sa.update(Memo).where(Memo.id == memo.id).values(state="hos_chefen"))
        db.session().flush()


# --- walking the route --------------------------------------------------------------


def test_the_whole_route(ctx, clock):
    author, chef, director = (
        _u(p.username) for p in (ctx.handlaggare, ctx.avdelningschef, ctx.stadsdelsdirektor)
    )
    memo = _memo(author)
    assert state_title(memo) == "Utkast"
    assert [t.action for t in available(memo, author)] == [Action.SKICKA, Action.RADERA]
    assert available(memo, chef) == []

    submit_memo(memo, author)
    db.session().commit()
    assert memo.state == "attest" and state_title(memo) == "Hos avdelningschef"
    assert [t.action for t in available(memo, chef)] == [Action.ATTESTERA, Action.RETURNERA]
    assert [t.action for t in available(memo, author)] == [Action.ATERKALLA]
    assert available(memo, director) == []

    clock.advance(days=1)
    attest_memo(memo, chef)
    db.session().commit()
    assert state_title(memo) == "Hos stadsdelsdirektör"
    assert [t.action for t in available(memo, director)] == [Action.ATTESTERA, Action.RETURNERA]

    clock.advance(days=1)
    attest_memo(memo, director)
    db.session().commit()
    memo = _reload(memo)
    assert memo.state == "attesterad" and state_title(memo) == "Attesterad"
    assert available(memo, author) == available(memo, chef) == available(memo, director) == []

    history = db.session().scalars(sa.select(HistoryEntry).order_by(HistoryEntry.id)).all()
    assert [(h.action, h.from_state, h.to_state, h.actor_id) for h in history] == [
        ("skicka", "utkast", "attest", author.id),
        ("attestera", "attest", "attest", chef.id),
        ("attestera", "attest", "attesterad", director.id),
    ]
    assert [h.version_number for h in history] == [1, 1, 1]
    assert [h.step_position for h in history] == [None, 1, 2]
    submission = db.session().scalar(sa.select(Submission))
    assert submission.status == "attested" and submission.current_position is None
    assert [(a.position, a.signer_name, a.signer_title) for a in submission.attestations] == [
        (1, chef.full_name, "Avdelningschef"),
        (2, director.full_name, "Stadsdelsdirektör"),
    ]
    mails = db.session().scalars(sa.select(OutboxMail).order_by(OutboxMail.id)).all()
    assert [(m.to_address, m.subject.split(":")[0]) for m in mails] == [
        (chef.email, "Att attestera"),
        (director.email, "Att attestera"),
        (author.email, "Attesterat"),
    ]
    assert f"/memos/{memo.id}" in mails[0].body


def test_return_then_send_again_starts_afresh(ctx):
    author, chef, director = (
        _u(p.username) for p in (ctx.handlaggare, ctx.avdelningschef, ctx.stadsdelsdirektor)
    )
    memo = _memo(author)
    submit_memo(memo, author)
    attest_memo(memo, chef)
    return_memo(memo, director, "Förtydliga budgeten.")
    db.session().commit()
    assert memo.state == "utkast"
    first = db.session().scalar(sa.select(Submission).where(Submission.number == 1))
    assert first.status == "voided"
    mail = db.session().scalars(sa.select(OutboxMail).order_by(OutboxMail.id.desc())).first()
    assert mail.to_address == author.email and "Förtydliga budgeten." in mail.body

    save_draft(
        memo,
        author,
        factories.content(rubrik=memo.latest_version.rubrik, sammanfattning="Ny text."),
    )
    submit_memo(memo, author)
    db.session().commit()
    second = db.session().scalar(sa.select(Submission).where(Submission.number == 2))
    assert second.version.number == 2 and second.attestations == []
    assert state_title(memo) == "Hos avdelningschef"  # every step is attested anew
    assert first.frozen_pdf_sha256 != second.frozen_pdf_sha256


def test_withdraw_by_the_author(ctx):
    author, chef = _u(ctx.handlaggare.username), _u(ctx.avdelningschef.username)
    memo = _memo(author)
    submit_memo(memo, author)
    with pytest.raises(Forbidden):
        withdraw_memo(memo, chef)
    withdraw_memo(memo, author)
    db.session().commit()
    assert memo.state == "utkast"
    assert db.session().scalar(sa.select(Submission)).status == "voided"


# --- guard refusals -----------------------------------------------------------------


def test_wrong_role_cannot_attest(ctx):
    author = _u(ctx.handlaggare.username)
    memo = _memo(author)
    submit_memo(memo, author)
    for person in (ctx.registrator, ctx.administrator, ctx.stadsdelsdirektor):
        with pytest.raises(Forbidden):
            attest_memo(memo, _u(person.username))


def test_another_organisation_cannot_attest(ctx):
    author = _u(ctx.handlaggare.username)
    memo = _memo(author)
    submit_memo(memo, author)
    db.session().commit()
    other = factories.organisation(
        "SÖ", name="Södermalms stadsdelsförvaltning", board="Södermalms stadsdelsnämnd"
    )
    stranger = factories.user(other, "avdelningschef")
    with pytest.raises(Forbidden, match="annan organisation"):
        attest_memo(memo, stranger)


def test_the_author_never_attests_their_own_memo(ctx):
    author = _u(ctx.handlaggare.username)
    db.session().add(type(author.user_roles[0])(user_id=author.id, role_code="avdelningschef"))
    db.session().commit()
    memo = _memo(author)
    submit_memo(memo, author)
    assert memo.author_id not in {
        s.assignee_id for s in db.session().scalar(sa.select(Submission)).steps
    }
    with pytest.raises(Forbidden, match="eget"):
        attest_memo(memo, author)


def test_a_step_is_attested_once(ctx):
    author, chef = _u(ctx.handlaggare.username), _u(ctx.avdelningschef.username)
    memo = _memo(author)
    submit_memo(memo, author)
    attest_memo(memo, chef)
    with pytest.raises(Forbidden):
        attest_memo(memo, chef)
    add_substitution(chef.username, "stadsdelsdirektor", dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    with pytest.raises(Forbidden, match="redan attesterat"):
        attest_memo(memo, chef)  # even as t.f. for the next step


def test_transitions_from_the_wrong_state(ctx):
    author, chef = _u(ctx.handlaggare.username), _u(ctx.avdelningschef.username)
    memo = _memo(author)
    for verb in (
        lambda: attest_memo(memo, chef),
        lambda: return_memo(memo, chef, "x"),
        lambda: withdraw_memo(memo, author),
    ):
        with pytest.raises(Conflict, match="går inte nu"):
            verb()
    submit_memo(memo, author)
    with pytest.raises(Conflict):
        submit_memo(memo, author)
    with pytest.raises(Invalid, match="Okänd åtgärd"):
        apply_transition(memo, "publicera", author)


def test_return_needs_a_comment(ctx):
    author, chef = _u(ctx.handlaggare.username), _u(ctx.avdelningschef.username)
    memo = _memo(author)
    submit_memo(memo, author)
    with pytest.raises(Invalid, match="kommentar"):
        return_memo(memo, chef, "   ")
    assert memo.state == "attest"


def test_one_person_for_two_steps_is_refused(ctx):
    author, chef = _u(ctx.handlaggare.username), _u(ctx.avdelningschef.username)
    db.session().add(type(chef.user_roles[0])(user_id=chef.id, role_code="stadsdelsdirektor"))
    db.session().commit()
    memo = _memo(author)
    with pytest.raises(Invalid, match="Välj vem"):
        submit_memo(memo, author)  # two can take the director step now: no preselection
    with pytest.raises(Invalid, match="bara attestera ett steg"):
        submit_memo(memo, author, {1: chef.id, 2: chef.id})


def test_stale_lock_version_is_a_conflict(ctx):
    author, chef = _u(ctx.handlaggare.username), _u(ctx.avdelningschef.username)
    memo = _memo(author)
    seen = memo.lock_version
    submit_memo(memo, author, expected_lock_version=seen)
    with pytest.raises(Conflict):
        attest_memo(memo, chef, expected_lock_version=seen)


def test_edit_racing_a_send_has_one_winner(app, ctx):
    """Two requests load the draft; the send commits first; the save is refused."""
    memo_id = _memo(_u(ctx.handlaggare.username)).id
    with app.app_context():
        editor = db.session().get(Memo, memo_id)
        editor_author = editor.author
        editor.latest_version  # loaded before the other request changes anything
        with app.app_context():
            sender = db.session().get(Memo, memo_id)
            submit_memo(sender, sender.author)
            db.session().commit()
        with pytest.raises(Conflict):
            save_draft(editor, editor_author, factories.content(rubrik="Ändrad"))
    db.session().expire_all()
    memo = db.session().get(Memo, memo_id)
    assert memo.state == "attest" and len(memo.versions) == 1


# --- acting substitutes -------------------------------------------------------------


def test_acting_substitute_attests_for_the_assignee(ctx):
    author, chef = _u(ctx.handlaggare.username), _u(ctx.avdelningschef.username)
    org = get_organisation("EÅV")
    deputy = factories.user(org, "handlaggare", username="deputy", full_name="Petra Ersättare")
    memo = _memo(author)
    submit_memo(memo, author)
    db.session().commit()
    with pytest.raises(Forbidden):
        attest_memo(memo, deputy)
    add_substitution(
        "deputy",
        "avdelningschef",
        dt.date(2024, 8, 1),
        dt.date(2024, 8, 31),
        for_username=chef.username,
    )
    db.session().commit()
    assert [i.memo_id for i in worklists.waiting_for(deputy)] == [memo.id]
    entry = attest_memo(memo, deputy)
    db.session().commit()
    assert entry.acting_for_id == chef.id
    attestation = db.session().scalar(sa.select(Attestation))
    assert (attestation.signer_name, attestation.signer_title) == (
        "Petra Ersättare",
        "t.f. Avdelningschef",
    )


def test_substitution_outside_its_period_does_not_count(ctx, clock):
    author = _u(ctx.handlaggare.username)
    org = get_organisation("EÅV")
    deputy = factories.user(org, "handlaggare", username="deputy2")
    add_substitution("deputy2", "avdelningschef", dt.date(2024, 9, 1), dt.date(2024, 9, 30))
    memo = _memo(author)
    submit_memo(memo, author)
    with pytest.raises(Forbidden):
        attest_memo(memo, deputy)  # the clock says 2024-08-14


# --- routes are data -----------------------------------------------------------------


def test_an_extra_step_is_a_data_change(ctx):
    author = _u(ctx.handlaggare.username)
    org = get_organisation("EÅV")
    add_role("ekonomichef", "Ekonomichef")
    economist = factories.user(org, "ekonomichef", full_name="Eva Ekonom")
    set_route(org, "tjansteutlatande", ["avdelningschef", "ekonomichef", "stadsdelsdirektor"])
    db.session().commit()
    memo = _memo(author)
    submit_memo(memo, author)
    db.session().commit()
    submission = db.session().scalar(sa.select(Submission))
    assert [s.role_title for s in submission.steps] == [
        "Avdelningschef",
        "Ekonomichef",
        "Stadsdelsdirektör",
    ]
    attest_memo(memo, _u(ctx.avdelningschef.username))
    assert state_title(memo) == "Hos ekonomichef"
    attest_memo(memo, economist)
    attest_memo(memo, _u(ctx.stadsdelsdirektor.username))
    assert memo.state == "attesterad"


def test_a_skipped_step_is_a_data_change_and_sent_memos_keep_their_steps(ctx):
    author = _u(ctx.handlaggare.username)
    org = get_organisation("EÅV")
    sent = _memo(author, rubrik="Skickat före ändringen")
    submit_memo(sent, author)
    set_route(org, "tjansteutlatande", ["stadsdelsdirektor"])
    db.session().commit()
    later = _memo(author, rubrik="Skickat efter ändringen")
    submit_memo(later, author)
    db.session().commit()
    steps = {
        s.memo_id: [step.role_code for step in s.steps]
        for s in db.session().scalars(sa.select(Submission))
    }
    assert steps == {
        sent.id: ["avdelningschef", "stadsdelsdirektor"],
        later.id: ["stadsdelsdirektor"],
    }


def test_the_frozen_pdf_has_one_row_per_step_and_the_people_of_the_route(ctx):
    import io

    from pypdf import PdfReader

    from attest import blobs

    author = _u(ctx.handlaggare.username)
    org = get_organisation("EÅV")
    add_role("ekonomichef", "Ekonomichef")
    factories.user(org, "ekonomichef", full_name="Eva Ekonom", title="Ekonomichef")
    set_route(org, "tjansteutlatande", ["avdelningschef", "ekonomichef", "stadsdelsdirektor"])
    memo = _memo(author)
    submit_memo(memo, author)
    submission = db.session().scalar(sa.select(Submission))
    text = "".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(blobs.store().get(submission.frozen_pdf_sha256))).pages
    )
    for name in ("Jenny Johansson", "Eva Ekonom", "Anders Carstorp", "Attesterat av"):
        assert name in text


# --- worklists, reminders, register ---------------------------------------------------


def test_worklist_oldest_first_and_reminders(ctx, clock):
    author, chef = _u(ctx.handlaggare.username), _u(ctx.avdelningschef.username)
    first = _memo(author, rubrik="Först")
    submit_memo(first, author)
    clock.advance(hours=3)
    second = _memo(author, rubrik="Sedan")
    submit_memo(second, author)
    db.session().commit()
    assert [i.memo_id for i in worklists.waiting_for(chef)] == [first.id, second.id]
    assert worklists.waiting_for(author) == []
    clock.advance(hours=47)
    assert notifications.remind(dt.timedelta(hours=48)) == 1  # only the first has waited 48 h
    assert notifications.remind(dt.timedelta(hours=48)) == 0  # once per wait
    db.session().commit()
    subjects = [m.subject for m in db.session().scalars(sa.select(OutboxMail))]
    assert sum(s.startswith("Påminnelse") for s in subjects) == 1


def test_register_search_and_pages(ctx):
    author, chef, director, registrar = (
        _u(p.username)
        for p in (ctx.handlaggare, ctx.avdelningschef, ctx.stadsdelsdirektor, ctx.registrator)
    )
    memos = []
    for n in range(3):
        memo = _memo(author, rubrik=f"Ärende nummer {n} om budget" if n else "Skolprogrammet")
        submit_memo(memo, author)
        attest_memo(memo, chef)
        attest_memo(memo, director)
        memos.append(memo)
    _memo(author, rubrik="Utkast om budget")  # not attested: never in the register
    db.session().commit()
    assert worklists.attested_register(registrar).total == 3
    assert [m.id for m in worklists.attested_register(registrar, "budget").items] == [
        memos[2].id,
        memos[1].id,
    ]
    assert [m.id for m in worklists.attested_register(registrar, memos[0].dnr).items] == [
        memos[0].id
    ]
    page = worklists.attested_register(registrar, "", page=2, per_page=2)
    assert (page.page, page.pages, len(page.items)) == (2, 2, 1)
    assert worklists.attested_register(registrar, "100%_").total == 0


@pytest.mark.postgres
def test_twenty_concurrent_attestations_of_one_step_give_one_success(app, ctx):
    memo_id = _memo(_u(ctx.handlaggare.username)).id
    memo = db.session().get(Memo, memo_id)
    submit_memo(memo, memo.author)
    db.session().commit()
    barrier = threading.Barrier(20, timeout=60)
    results = []

    def attempt():
        with app.app_context():
            memo = db.session().get(Memo, memo_id)
            chef = _u(ctx.avdelningschef.username)
            barrier.wait()
            try:
                attest_memo(memo, chef)
                db.session().commit()
                results.append("ok")
            except (Conflict, Forbidden) as exc:
                db.session().rollback()
                results.append(type(exc).__name__)

    def guarded():
        try:
            attempt()
        except Exception as exc:  # noqa: BLE001 - any other failure must show in results
            results.append(repr(exc))

    threads = [threading.Thread(target=guarded) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("ok") == 1 and results.count("Conflict") == 19
    db.session().expire_all()
    assert db.session().scalar(sa.select(sa.func.count()).select_from(Attestation)) == 1
    steps = db.session().scalars(
        sa.select(HistoryEntry.step_position).where(HistoryEntry.action == "attestera")
    )
    assert list(steps) == [1]


def test_the_frozen_pdf_carries_its_verification_link(ctx):
    import io

    from pypdf import PdfReader

    from attest import blobs

    author = _u(ctx.handlaggare.username)
    memo = _memo(author)
    submit_memo(memo, author)
    submission = db.session().scalar(sa.select(Submission))
    code = submission.verification_code
    assert len(code) == 10 and not set(code) & set("01OIL")
    pdf = PdfReader(io.BytesIO(blobs.store().get(submission.frozen_pdf_sha256)))
    assert f"http://127.0.0.1:5000/v/{code}" in pdf.pages[0].extract_text()
