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
