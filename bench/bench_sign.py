"""How long freezing, attesting, archiving and verifying the reference memo take.

Run: .venv/bin/python bench/bench_sign.py [runs]
The memo is the reference memo with a 10-page bilaga. The baseline for freezing it (render,
signature fields on the table rows, the seal's certification with a timestamp) is
reportlab's plain layout of the same text and one bare pyHanko B-T signature on it. The
baselines for an attestation are bare pyHanko: sign_pdf into the same empty field
with pyHanko's default appearance, timestamped by the same in-process TSA, once with
stock SimpleSigner (which re-loads and re-validates the RSA key for the size estimate
and again for the signature) and once with a signer over the already loaded key, which
leaves only what attest's own code adds (row appearance, given signing time, sync wrapper).
Password key derivation (decrypt_private_key) is measured on its own, at the default
rounds, and is not part of "attest". The ratios are measured interleaved (bench/report.py).
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import sys
import time
from io import BytesIO
from typing import Callable

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

# The benchmark reuses the tests' builders (tests/ is not an installed package).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from attest.demo_content import REFERENCE_BILAGA_TITLE  # noqa: E402
from attest.pdf import Attachment, render_memo  # noqa: E402
from attest.pki import (  # noqa: E402
    build_crl,
    decrypt_private_key,
    encrypt_private_key,
    generate_personal_key,
)
from attest.signing import (  # noqa: E402
    InProcessTimeStamper,
    add_signature_fields,
    fields_for_rows,
    finish_lta,
    sign_field,
    step_field_name,
    validate_pdf,
)
from attest.signing.sign import KeySigner  # noqa: E402
from bench.bench_render import bare_reportlab, bilaga_of_pages  # noqa: E402
from bench.report import interleaved_ms, ratio  # noqa: E402
from tests.support.signing import (  # noqa: E402
    FROZEN_AT,
    PEOPLE,
    freeze,
    make_attester,
    make_pki,
    make_route,
    reference_doc,
    row_appearance,
    run_flow,
    validation_time,
)


class BareKeySigner(KeySigner):
    """The baselines' fair signer: the key loaded once (as attest keeps it), and otherwise
    pyHanko's own CMS assembly, its signed attributes built afresh for every signature
    (attest's KeySigner prepares the signing certificate's attribute once)."""

    _signed_attr_providers = signers.Signer._signed_attr_providers


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm up: imports, fonts, the TSA's cached size-estimate token
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _der(cert) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def main(runs: int = 15) -> None:
    pki = make_pki()
    attesters = tuple(make_attester(pki, name, title) for name, title in PEOPLE)
    doc = dataclasses.replace(
        reference_doc(), attachments=(Attachment(REFERENCE_BILAGA_TITLE, bilaga_of_pages(10)),)
    )
    rendered = render_memo(doc)
    tsa = InProcessTimeStamper(pki.tsa_key, pki.tsa_cert, pki.chain, lambda: FROZEN_AT)
    jenny = attesters[0]
    route = make_route(pki, attesters)
    frozen = freeze(rendered, pki, tsa, FROZEN_AT, route)
    final = run_flow(pki, attesters, rendered).final
    crl = build_crl(pki, [], now=FROZEN_AT)
    crl_now = build_crl(pki, [], now=validation_time())

    # Bare pyHanko: the key as PKCS#8 DER, loaded by SimpleSigner on every signature.
    bare_signer = signers.SimpleSigner(
        signing_cert=_der(jenny.cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            jenny.key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs([_der(pki.ca_cert)]),
    )
    loaded_signer = BareKeySigner(jenny.key, jenny.cert, pki.chain)
    seal_signer = BareKeySigner(pki.seal_key, pki.seal_cert, pki.chain)

    def bare_sign(signer: signers.Signer) -> bytes:
        out = signers.sign_pdf(
            IncrementalPdfFileWriter(BytesIO(frozen)),
            signers.PdfSignatureMetadata(
                field_name=step_field_name(0),
                md_algorithm="sha256",
                subfilter=fields.SigSeedSubFilter.PADES,
            ),
            signer=signer,
            timestamper=tsa,
            existing_fields_only=True,
        )
        return out.getvalue()

    def bare_freeze() -> bytes:
        """reportlab's plain layout of the same text, then one pyHanko B-T signature."""
        out = signers.sign_pdf(
            IncrementalPdfFileWriter(BytesIO(bare_reportlab(doc))),
            signers.PdfSignatureMetadata(
                field_name="Signature1",
                md_algorithm="sha256",
                subfilter=fields.SigSeedSubFilter.PADES,
            ),
            signer=seal_signer,
            timestamper=tsa,
        )
        return out.getvalue()

    def attest_only() -> bytes:
        return sign_field(
            frozen,
            field_name=step_field_name(0),
            signer_key=jenny.key,
            signer_cert=jenny.cert,
            chain=pki.chain,
            appearance_pdf=row_appearance(
                rendered.rows[0], jenny.full_name, jenny.title, FROZEN_AT
            ),
            timestamper=tsa,
            reason="Attesterat",
            now=FROZEN_AT,
        )

    # The ratios: each side called in turn, so that other work on the machine weighs on both.
    paired = interleaved_ms(
        {
            "freeze": lambda: freeze(render_memo(doc), pki, tsa, FROZEN_AT, route),
            "bare freeze": bare_freeze,
            "attest": attest_only,
            "bare loaded": lambda: bare_sign(loaded_signer),
        },
        runs,
    )
    stored_key = encrypt_private_key(jenny.key, "korrekt häst batteri")
    few = max(3, runs // 3)
    results = {
        "freeze: render + fields + certify (B-T)": paired["freeze"],
        "  bare reportlab + pyHanko B-T signature": paired["bare freeze"],
        "  of which add_signature_fields": median_ms(
            lambda: add_signature_fields(rendered.pdf, fields_for_rows(rendered.rows), route=route),
            runs,
        ),
        "attest: sign_field + row appearance (B-T)": paired["attest"],
        "bare pyHanko B-T, key loaded once": paired["bare loaded"],
        "bare pyHanko B-T, stock SimpleSigner": median_ms(lambda: bare_sign(bare_signer), few),
        "finish_lta: DSS + document timestamp": median_ms(
            lambda: finish_lta(
                frozen, timestamper=tsa, ca_cert=pki.ca_cert, crls=[crl], now=FROZEN_AT
            ),
            runs,
        ),
        "validate final PDF (5 signatures, CRL)": median_ms(
            lambda: validate_pdf(
                final, trust_roots=[pki.ca_cert], crls=[crl_now], now=validation_time()
            ),
            few,
        ),
        "decrypt_private_key, default rounds": median_ms(
            lambda: decrypt_private_key(stored_key, "korrekt häst batteri"), few
        ),
        "generate_personal_key (RSA-3072)": median_ms(generate_personal_key, few),
    }
    width = max(map(len, results)) + 2
    print(
        f"reference memo ({rendered.memo_page_count} memo pages + 10-page bilaga); "
        f"median of {runs} runs ({few} for the slow ones)"
    )
    print(f"{'step':<{width}}{'ms':>9}")
    for label, ms in results.items():
        print(f"{label:<{width}}{ms:9.1f}")
    ratio(
        "freeze reference memo + 10-page bilaga vs bare reportlab + pyHanko B-T",
        paired["freeze"] / paired["bare freeze"],
        None,
        f"{paired['freeze']:.0f} ms vs {paired['bare freeze']:.0f} ms (signing code alone)",
    )
    ratio(
        "sign_field vs bare pyHanko B-T of the frozen PDF, key loaded once",
        paired["attest"] / paired["bare loaded"],
        "<= 1.3",
        f"{paired['attest']:.0f} ms vs {paired['bare loaded']:.0f} ms (signing code alone; "
        f"stock SimpleSigner re-loading the key: "
        f"{results['bare pyHanko B-T, stock SimpleSigner']:.0f} ms)",
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
