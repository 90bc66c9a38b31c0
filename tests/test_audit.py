import sqlalchemy as sa

from attest import audit, db
from attest.audit.models import AuditEvent, AuditHead


def _chain(n=5):
    for i in range(n):
        audit.record("test:event", data={"i": i})
    db.session().commit()


def test_chain_verifies(app_context):
    _chain()
    report = audit.verify_chain()
    assert report.ok and report.entries == 5


def test_edited_entry_is_detected(app_context):
    _chain()
    db.session().execute(sa.update(AuditEvent).where(AuditEvent.seq == 3).values(data='{"i":99}'))
    report = audit.verify_chain()
    assert not report.ok and report.first_broken_seq == 3


def test_deleted_entry_is_detected(app_context):
    _chain()
    db.session().execute(sa.delete(AuditEvent).where(AuditEvent.seq == 2))
    report = audit.verify_chain()
    assert not report.ok and report.first_broken_seq == 2


def test_reordered_entries_are_detected(app_context):
    _chain()
    session = db.session()
    session.execute(sa.update(AuditEvent).where(AuditEvent.seq == 2).values(seq=100))
    session.execute(sa.update(AuditEvent).where(AuditEvent.seq == 3).values(seq=2))
    session.execute(sa.update(AuditEvent).where(AuditEvent.seq == 100).values(seq=3))
    report = audit.verify_chain()
    assert not report.ok and report.first_broken_seq == 2


def test_truncated_chain_is_detected_against_the_head(app_context):
    _chain()
    db.session().execute(sa.delete(AuditEvent).where(AuditEvent.seq == 5))
    report = audit.verify_chain()
    assert not report.ok and "kortare" in report.reason
    assert db.session().get(AuditHead, 1).seq == 5


def test_first_events_written_at_once_all_land_in_one_chain(app):
    """The very first events of an installation, written at the same moment (logins on a
    fresh database): one creates the chain's head, the others wait for it; none fails."""
    import threading

    writers = 8
    with app.app_context():
        db.session().execute(sa.delete(AuditEvent))
        db.session().execute(sa.delete(AuditHead))
        db.session().commit()
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(number: int) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                audit.record("test:first", data={"writer": number})
                db.session().commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with app.app_context():
        report = audit.verify_chain()
        assert report.ok and report.entries == writers
        assert db.session().get(AuditHead, 1).seq == writers
