"""How fast a clerk's check is: `attest verify` against pyHanko's own CLI, and bulk throughput.

Run: .venv/bin/python bench/bench_verify.py [runs] [bulk]

1. Start-up plus one verification, as a clerk runs it: the console script
   ``.venv/bin/attest verify FILE --trust CA.pem`` against ``pyhanko sign validate --trust
   CA.pem FILE`` (the pyhanko-cli package) on the same genuine attested PDF, alternating,
   median wall time of [runs] runs each (default 5). Target: ratio <= 1.0. pyHanko checks
   the signatures only; attest also checks the route, the archive and the bytes after it.
2. Bulk: the product's bulk worker (attest.verify.bulk, the organisation's CA and a CRL of
   300 entries) over [bulk] genuine PDFs (default 48): the reference memo, and 12 distinct
   memos with 0-5 bilagor and 2- or 3-step routes, each verified 4 times; in one process
   and in a pool of one worker per core. Targets: per PDF <= 0.35x pyHanko validating the
   same PDF alone in process (fresh reader and contexts, measured alternating with the
   pool; pyHanko as released, attest.verify.speedups suspended), and >= 30 PDFs/s. The
   same ratio against pyHanko with attest's speed-ups of its parser in place is printed
   too: what attest's own checks cost over the library code they share. The load average
   is printed: other work slows every rate.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the benchmark reuses the tests' builders

from asn1crypto import x509 as asn1_x509  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.sign.validation import (  # noqa: E402
    validate_pdf_signature,
    validate_pdf_timestamp,
)
from pyhanko_certvalidator import ValidationContext  # noqa: E402

from attest.pdf import render_memo  # noqa: E402
from attest.pki import OrgPki, build_crl  # noqa: E402
from attest.verify import bulk, speedups  # noqa: E402
from attest.verify.result import DEFAULT_MAX_SIGNATURES  # noqa: E402
from bench.report import ratio  # noqa: E402
from tests.support.signing import (  # noqa: E402
    PEOPLE,
    THIRD,
    attest_route,
    make_attester,
    make_pki,
    reference_doc,
    validation_time,
    varied_memos,
)

BIN = Path(sys.executable).parent
REVOKED = 300  # entries on the organisation's CRL


def genuine_pdfs(count: int) -> tuple[bytes, list[bytes], OrgPki]:
    """The reference memo (the demo's: one bilaga, two steps) and count varied memos."""
    pki = make_pki()
    people = tuple(make_attester(pki, name, title) for name, title in (*PEOPLE, THIRD))
    reference = attest_route(pki, render_memo(reference_doc()), people[:2]).final
    return reference, [pdf for pdf, _ in varied_memos(pki, people, count)], pki


def organisation_crl(pki: OrgPki) -> x509.CertificateRevocationList:
    """The organisation's current CRL as a bulk check gets it: years of password resets."""
    at = validation_time() - dt.timedelta(hours=1)
    revoked = [(10**15 + n, at - dt.timedelta(days=1 + n % 700)) for n in range(REVOKED)]
    return build_crl(pki, revoked, now=at)


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed


def pyhanko_command() -> list[str]:
    script = BIN / "pyhanko"
    if script.exists():
        return [str(script)]
    found = shutil.which("pyhanko")
    if found:
        return [found]
    raise SystemExit("pyHanko's CLI is not installed: pip install pyhanko-cli")


def pyhanko_alone(pdf: bytes, ca_der: bytes) -> None:
    """The baseline: pyHanko validating every signature of one PDF on its own, in process.

    Whatever of attest.verify.speedups is in place applies: the caller suspends them to
    measure pyHanko as released.

    A fresh reader, the CA loaded, one validation context (the validation time, no
    fetching) for each signature and its timestamp, as pyHanko's own validate command does;
    the diff analysis of each signature included, as in attest's core. No CRL: pyHanko
    checks no revocation here, while attest's core reads the organisation's CRL and the
    file's (a conservative baseline).
    """
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    ca = asn1_x509.Certificate.load(ca_der)
    for embedded in reader.embedded_signatures:
        context = ValidationContext(
            trust_roots=[ca], moment=validation_time(), allow_fetching=False
        )
        if embedded.sig_object_type == "/DocTimeStamp":
            status: object = validate_pdf_timestamp(embedded, context)
        else:
            status = validate_pdf_signature(embedded, context, ts_validation_context=context)
        assert status.intact and status.valid, status  # type: ignore[attr-defined]


def _init_bulk_worker(ca_der: bytes, crl_der: bytes) -> None:
    """The product's bulk worker (attest.verify.bulk), with the organisation's CA and CRL."""
    bulk._init_worker((ca_der,), (crl_der,), validation_time(), DEFAULT_MAX_SIGNATURES)


def _bulk_verify(pdf: bytes) -> str:
    return bulk._verify_in_worker(pdf, None).verdict


def bulk_rates(name: str, batch: list[bytes], ca_der: bytes, crl_der: bytes) -> None:
    """The product's bulk core over batch against pyHanko alone over the same files."""
    _init_bulk_worker(ca_der, crl_der)
    _bulk_verify(batch[0]), pyhanko_alone(batch[0], ca_der)  # the lazy imports
    with speedups.suspended():
        pyhanko_alone(batch[0], ca_der)

    alone_cpu: list[float] = []
    patched: list[float] = []  # pyHanko with attest's speed-ups in place

    def alone_per_pdf() -> float:
        start = time.perf_counter()
        for pdf in batch:
            pyhanko_alone(pdf, ca_der)
        patched.append((time.perf_counter() - start) / len(batch))
        start, cpu = time.perf_counter(), time.process_time()
        with speedups.suspended():  # pyHanko as released
            for pdf in batch:
                pyhanko_alone(pdf, ca_der)
        alone_cpu.append((time.process_time() - cpu) / len(batch))
        return (time.perf_counter() - start) / len(batch)

    start, cpu = time.perf_counter(), time.process_time()
    verdicts = [_bulk_verify(pdf) for pdf in batch]
    single = len(batch) / (time.perf_counter() - start)
    per_cpu_second = len(batch) / (time.process_time() - cpu)
    assert set(verdicts) == {"valid"}, verdicts

    workers = bulk.available_cores()
    alone, pooled = [], []
    with concurrent.futures.ProcessPoolExecutor(
        workers,
        mp_context=bulk._pool_context(),
        initializer=bulk._init_worker,
        initargs=((ca_der,), (crl_der,), validation_time(), DEFAULT_MAX_SIGNATURES),
    ) as pool:
        # The product's worker function; its results come back to this process, as in bulk.
        def pooled_verdicts(pdfs: list[bytes]) -> list[str]:
            steps = [None] * len(pdfs)
            return [r.verdict for r in pool.map(bulk._verify_in_worker, pdfs, steps, chunksize=2)]

        pooled_verdicts(batch[: workers * 2])  # start the workers and their imports
        # Side by side, alternating: other work on the machine weighs on both alike.
        for _ in range(2):
            alone.append(alone_per_pdf())
            start = time.perf_counter()
            verdicts = pooled_verdicts(batch)
            pooled.append((time.perf_counter() - start) / len(batch))
            assert set(verdicts) == {"valid"}, verdicts
    per_pdf, baseline, baseline_patched = min(pooled), min(alone), min(patched)
    cpu_ratio = (1 / per_cpu_second) / min(alone_cpu)
    print(
        f"bulk {name:24} 1 process {single:5.1f}/s ({per_cpu_second:5.1f} per CPU second), "
        f"pool of {workers} {1 / per_pdf:5.1f}/s  (target >= 30); pyHanko alone "
        f"{baseline * 1000:.0f} ms per PDF ({baseline_patched * 1000:.0f} ms with attest's "
        f"speed-ups), bulk {per_pdf * 1000:.0f} ms per PDF"
    )
    ratio(
        f"bulk verification per PDF, {name}: pool of {workers} vs pyHanko alone (in process)",
        per_pdf / baseline,
        "<= 0.35",
        f"{per_pdf * 1000:.1f} ms vs {baseline * 1000:.1f} ms per PDF; the same {len(batch)} "
        f"files; attest with the organisation's CRL ({REVOKED} entries), pyHanko as released "
        "and without; best of 2, alternating",
    )
    ratio(
        f"bulk verification per PDF, {name}: pool of {workers} vs pyHanko with attest's "
        "speed-ups",
        per_pdf / baseline_patched,
        None,
        f"{per_pdf * 1000:.1f} ms vs {baseline_patched * 1000:.1f} ms per PDF: pyHanko alone "
        "with attest.verify.speedups in place (its parser and name comparisons), as inside "
        "attest; what attest's own checks cost over the library code both run",
    )
    ratio(
        f"bulk verification CPU per PDF, {name}: one worker vs pyHanko alone",
        cpu_ratio,
        None,
        f"{1000 / per_cpu_second:.0f} ms vs {min(alone_cpu) * 1000:.0f} ms of CPU per PDF "
        "(pyHanko as released); what the pool divides among the cores, unaffected by how busy "
        "they are",
    )
    ratio(
        f"bulk verification, {name}: PDFs/s in a pool of {workers}",
        1 / per_pdf,
        ">= 30",
        f"{len(batch)} PDFs; 1 process {single:.1f}/s; {per_cpu_second:.1f} per CPU second, "
        f"so {workers * per_cpu_second:.0f}/s on {workers} otherwise idle cores",
    )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    bulk = int(sys.argv[2]) if len(sys.argv) > 2 else 48
    distinct = min(12, bulk)
    started = time.perf_counter()
    reference, varied, pki = genuine_pdfs(distinct)
    ca_pem = pki.ca_cert.public_bytes(serialization.Encoding.PEM)
    ca_der = pki.ca_cert.public_bytes(serialization.Encoding.DER)
    crl_der = organisation_crl(pki).public_bytes(serialization.Encoding.DER)
    print(f"built {distinct + 1} genuine attested PDFs in {time.perf_counter() - started:.1f} s")

    with tempfile.TemporaryDirectory() as folder:
        pdf_path, ca_path = Path(folder) / "tjansteutlatande.pdf", Path(folder) / "EÅV-ca.pem"
        pdf_path.write_bytes(reference)
        ca_path.write_bytes(ca_pem)
        attest_cmd = [str(BIN / "attest"), "verify", str(pdf_path), "--trust", str(ca_path)]
        pyhanko_cmd = [*pyhanko_command(), "sign", "validate", "--trust", str(ca_path)]
        pyhanko_cmd.append(str(pdf_path))
        wall(attest_cmd), wall(pyhanko_cmd)  # warm the file cache and .pyc files
        ours, theirs = [], []
        for _ in range(runs):
            ours.append(wall(attest_cmd))
            theirs.append(wall(pyhanko_cmd))
    a, p = statistics.median(ours), statistics.median(theirs)
    print(f"attest verify          median {a * 1000:6.0f} ms  ({runs} runs, the reference memo)")
    print(f"pyhanko sign validate  median {p * 1000:6.0f} ms  ({runs} runs)")
    ratio(
        "attest verify vs pyhanko sign validate (a command, one PDF)",
        a / p,
        "<= 1.0",
        f"{a * 1000:.0f} ms vs {p * 1000:.0f} ms, start-up included; median of {runs}, "
        "alternating",
    )

    bulk_rates("reference memo", [reference] * bulk, ca_der, crl_der)
    bulk_rates("varied (0-5 bilagor)", [varied[i % distinct] for i in range(bulk)], ca_der, crl_der)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    now = dt.datetime.now(dt.timezone.utc)
    print(f"checked at {now:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load average {load}")


if __name__ == "__main__":
    main()
