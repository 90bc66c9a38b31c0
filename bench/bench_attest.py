"""Freeze and attest through the application (database, blobs, audit chain, hooks) against
a bare pyHanko B-T signature of the same frozen PDF, measured side by side in one run.

Run: .venv/bin/python bench/bench_attest.py [runs]
The attester's password key derivation is excluded, as the target says: the app runs with
KEY_KDF_ROUNDS=1000 and the derivation at the production 600 000 rounds is printed apart.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from io import BytesIO

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign import signers  # noqa: E402

from attest import clock  # noqa: E402
from attest import blobs, create_app, db, migrate  # noqa: E402
from attest.attestation import keystore  # noqa: E402
from attest.attestation.audit_anchor import timestamp_head  # noqa: E402
from attest.attestation.hooks import PadesHooks, timestamper  # noqa: E402
from attest.attestation.personal import unlock  # noqa: E402
from attest.clock import STOCKHOLM, FixedClock  # noqa: E402
from attest.demo import create_demo  # noqa: E402
from attest.memos.models import Memo  # noqa: E402
from attest.memos.operations import DraftContent, create_memo  # noqa: E402
from attest.pki import decrypt_private_key, encrypt_private_key  # noqa: E402
from attest.signing.sign import _KeySigner  # noqa: E402
from attest.users.operations import get_user  # noqa: E402
from attest.workflow.models import Submission  # noqa: E402
from attest.workflow.operations import attest_memo, submit_memo  # noqa: E402

PASSWORD = "attest-demo-2024"


def _app(directory: str):
    config = {
        "SECRET_KEY": "bench",
        "KEY_PASSPHRASE": "bench",
        "DATABASE_URL": f"sqlite:///{directory}/bench.sqlite",
        "KEYS_DIR": f"{directory}/keys",
        "KEY_KDF_ROUNDS": 1000,
        "SIGNING": "pades",
        "CLOCK": FixedClock(dt.datetime(2024, 8, 14, 9, 0, tzinfo=STOCKHOLM)),
    }
    os.environ["ATTEST_INSTANCE_PATH"] = directory
    app = create_app(config)
    with app.app_context():
        migrate.upgrade(app)
        create_demo()
        db.session().commit()
    return app


def _bare_sign(pdf: bytes, key, cert, chain, stamper) -> bytes:
    """pyHanko alone: the same field, the same key (loaded once), the same TSA."""
    signer = _KeySigner(key, cert, chain)
    out = BytesIO()
    signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(pdf)),
        signers.PdfSignatureMetadata(field_name="attest-steg-1", subfilter=None),
        signer=signer,
        timestamper=stamper,
        output=out,
    )
    return out.getvalue()


def main(runs: int = 9) -> None:
    freeze_ms, attest_ms, bare_ms, hook_ms, anchor_ms = [], [], [], [], []
    with tempfile.TemporaryDirectory() as directory:
        app = _app(directory)
        with app.app_context():
            author, jenny = get_user("evelyn"), get_user("jenny")
            for n in range(runs):
                memo = create_memo(
                    author, DraftContent(rubrik=f"Mätning {n}", sammanfattning="Text.")
                )
                db.session().commit()
                started = time.perf_counter()
                submit_memo(memo, author)
                db.session().commit()
                freeze_ms.append((time.perf_counter() - started) * 1000)
                frozen = blobs.store().get(
                    db.session()
                    .scalar(sa.select(Submission).where(Submission.memo_id == memo.id))
                    .frozen_pdf_sha256
                )
                key, cert, _ = unlock(jenny, PASSWORD)
                pki = keystore.org_pki(jenny.organisation)
                stamper = timestamper(jenny.organisation, pki)
                started = time.perf_counter()
                _bare_sign(frozen, key, cert, pki.chain, stamper)
                bare_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                PadesHooks().attest(
                    frozen,
                    field_name="attest-steg-1",
                    signer=jenny,
                    name_title="Jenny Johansson, Avdelningschef",
                    moment=clock.now(),
                    password=PASSWORD,
                )
                hook_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                timestamp_head(jenny.organisation)
                anchor_ms.append((time.perf_counter() - started) * 1000)
                db.session().rollback()
                memo = db.session().get(Memo, memo.id)
                started = time.perf_counter()
                attest_memo(memo, jenny, password=PASSWORD)
                db.session().commit()
                attest_ms.append((time.perf_counter() - started) * 1000)
            stored = encrypt_private_key(key, PASSWORD)
            started = time.perf_counter()
            decrypt_private_key(stored, PASSWORD)
            kdf_ms = (time.perf_counter() - started) * 1000
    freeze, attest, bare, hook, anchor = (
        statistics.median(v) for v in (freeze_ms, attest_ms, bare_ms, hook_ms, anchor_ms)
    )
    print(f"{'measure':<58}{'median ms':>10}")
    print(f"{'freeze (submit_memo: render, fields, certify, store)':<58}{freeze:>10.1f}")
    print(f"{'bare pyHanko B-T sign of the frozen PDF (baseline)':<58}{bare:>10.1f}")
    print(f"{'attest signature (PadesHooks.attest: unlock, row, sign, TSA)':<58}{hook:>10.1f}")
    print(f"{'audit head timestamp (one more RFC 3161 token)':<58}{anchor:>10.1f}")
    print(f"{'attest end to end (attest_memo + commit, KDF at 1000 rounds)':<58}{attest:>10.1f}")
    print(f"{'password key derivation at 600 000 rounds (excluded)':<58}{kdf_ms:>10.1f}")
    print(f"ratio attest signature / bare pyHanko: {hook / bare:.2f}  (target <= 1.3)")
    print(f"ratio attest end to end / bare pyHanko: {attest / bare:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9)
