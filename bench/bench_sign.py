"""How long freezing, attesting, archiving and verifying the reference memo take.

Run: .venv/bin/python bench/bench_sign.py [runs]
The baselines for an attestation are bare pyHanko: sign_pdf into the same empty field
with pyHanko's default appearance, timestamped by the same in-process TSA, once with
stock SimpleSigner (which re-loads and re-validates the RSA key for the size estimate
and again for the signature) and once with a signer over the already loaded key, which
leaves only what attest's own code adds (row appearance, given signing time, sync wrapper).
Password key derivation (decrypt_private_key) is measured on its own, at the default
rounds, and is not part of "attest".
"""

from __future__ import annotations

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

from attest.pdf import render_memo  # noqa: E402
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
from attest.signing.sign import _KeySigner  # noqa: E402  (the baseline's fair signer)
from tests.signing_helpers import (  # noqa: E402
    FROZEN_AT,
    PEOPLE,
    attest,
    freeze,
    make_attester,
    make_pki,
    reference_doc,
    row_appearance,
    run_flow,
    validation_time,
)


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
    rendered = render_memo(reference_doc())
    tsa = InProcessTimeStamper(pki.tsa_key, pki.tsa_cert, pki.chain, lambda: FROZEN_AT)
    jenny = attesters[0]
    frozen = freeze(rendered, pki, tsa, FROZEN_AT)
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
    bare_meta = signers.PdfSignatureMetadata(
        field_name=step_field_name(0),
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )

    loaded_signer = _KeySigner(jenny.key, jenny.cert, pki.chain)

    def bare_sign(signer: signers.Signer) -> bytes:
        out = signers.sign_pdf(
            IncrementalPdfFileWriter(BytesIO(frozen)),
            bare_meta,
            signer=signer,
            timestamper=tsa,
            existing_fields_only=True,
        )
        return out.getvalue()

    def attest_only() -> bytes:
        return sign_field(
            frozen,
            field_name=step_field_name(0),
            signer_key=jenny.key,
            signer_cert=jenny.cert,
            chain=pki.chain,
            appearance_pdf=row_appearance(rendered.rows[0], jenny.name_title, FROZEN_AT),
            timestamper=tsa,
            reason="Attesterat",
            now=FROZEN_AT,
        )

    stored_key = encrypt_private_key(jenny.key, "korrekt häst batteri")
    results = {
        "render memo + bilaga (for scale)": median_ms(lambda: render_memo(reference_doc()), runs),
        "freeze: fields + certify (B-T)": median_ms(
            lambda: freeze(rendered, pki, tsa, FROZEN_AT), runs
        ),
        "  of which add_signature_fields": median_ms(
            lambda: add_signature_fields(rendered.pdf, fields_for_rows(rendered.rows)), runs
        ),
        "attest: sign_field + row appearance (B-T)": median_ms(attest_only, runs),
        "  via the helper (same work)": median_ms(
            lambda: attest(frozen, rendered, 0, jenny, pki, tsa, FROZEN_AT), runs
        ),
        "bare pyHanko B-T, stock SimpleSigner": median_ms(lambda: bare_sign(bare_signer), runs),
        "bare pyHanko B-T, key loaded once": median_ms(lambda: bare_sign(loaded_signer), runs),
        "finish_lta: DSS + document timestamp": median_ms(
            lambda: finish_lta(
                frozen, timestamper=tsa, ca_cert=pki.ca_cert, crls=[crl], now=FROZEN_AT
            ),
            runs,
        ),
        "validate final PDF (4 signatures, CRL)": median_ms(
            lambda: validate_pdf(
                final, trust_roots=[pki.ca_cert], crls=[crl_now], now=validation_time()
            ),
            runs,
        ),
        "decrypt_private_key, default rounds": median_ms(
            lambda: decrypt_private_key(stored_key, "korrekt häst batteri"), runs
        ),
        "generate_personal_key (RSA-3072)": median_ms(generate_personal_key, runs),
    }
    width = max(map(len, results)) + 2
    pdf_pages = rendered.memo_page_count
    print(f"reference memo ({pdf_pages} memo pages + bilaga); median of {runs} runs")
    print(f"{'step':<{width}}{'ms':>9}")
    for label, ms in results.items():
        print(f"{label:<{width}}{ms:9.1f}")
    attest_ms = results["attest: sign_field + row appearance (B-T)"]
    stock_ms = results["bare pyHanko B-T, stock SimpleSigner"]
    loaded_ms = results["bare pyHanko B-T, key loaded once"]
    print(f"{'ratio attest / bare, key loaded once (<= 1.3)':<{width}}{attest_ms / loaded_ms:9.2f}")
    print(f"{'ratio attest / bare, stock SimpleSigner':<{width}}{attest_ms / stock_ms:9.2f}")
    print(
        f"{'ratio freeze / bare, key loaded once':<{width}}"
        f"{results['freeze: fields + certify (B-T)'] / loaded_ms:9.2f}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
