"""How fast a clerk's check is: `attest verify` against pyHanko's own CLI, and bulk throughput.

Run: .venv/bin/python bench/bench_verify.py [runs] [bulk]

1. Start-up plus one verification, as a clerk runs it: the console script
   ``.venv/bin/attest verify FILE --trust CA.pem`` against ``pyhanko sign validate --trust
   CA.pem FILE`` (the pyhanko-cli package) on the same genuine attested PDF, alternating,
   median wall time of [runs] runs each (default 5). Target: ratio <= 1.0. pyHanko checks
   the signatures only; attest also checks the route, the archive and the bytes after it.
2. Bulk: verify_pdf in process over [bulk] genuine PDFs (default 48): the reference memo,
   and 12 distinct memos with 0-5 bilagor and 2- or 3-step routes, each verified 4 times;
   in one process and in a pool of 2 worker processes (this machine has 2 cores). Target:
   >= 30 PDFs/s. The load average is printed: other work on the machine slows every rate.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the benchmark reuses the tests' builders

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402

from attest.pdf import render_memo  # noqa: E402
from attest.verify import verify_pdf  # noqa: E402
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


def genuine_pdfs(count: int) -> tuple[bytes, list[bytes], x509.Certificate]:
    """The reference memo (the demo's: one bilaga, two steps) and count varied memos."""
    pki = make_pki()
    people = tuple(make_attester(pki, name, title) for name, title in (*PEOPLE, THIRD))
    reference = attest_route(pki, render_memo(reference_doc()), people[:2]).final
    return reference, [pdf for pdf, _ in varied_memos(pki, people, count)], pki.ca_cert


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


_TRUST: list[x509.Certificate] = []


def _init_worker(ca_pem: bytes) -> None:
    _TRUST[:] = [x509.load_pem_x509_certificate(ca_pem)]


def _verify_one(pdf: bytes) -> str:
    return verify_pdf(pdf, trust=_TRUST, now=validation_time()).verdict


def bulk_rates(name: str, batch: list[bytes], ca_pem: bytes) -> None:
    _init_worker(ca_pem)
    _verify_one(batch[0])  # the first call pays the lazy imports
    start, cpu = time.perf_counter(), time.process_time()
    verdicts = [_verify_one(pdf) for pdf in batch]
    single = len(batch) / (time.perf_counter() - start)
    per_cpu_second = len(batch) / (time.process_time() - cpu)
    assert set(verdicts) == {"valid"}, verdicts

    workers = min(2, os.cpu_count() or 1)
    with concurrent.futures.ProcessPoolExecutor(
        workers, initializer=_init_worker, initargs=(ca_pem,)
    ) as pool:
        list(pool.map(_verify_one, batch[:workers]))  # start the workers and their imports
        start = time.perf_counter()
        verdicts = list(pool.map(_verify_one, batch, chunksize=4))
        pooled = len(batch) / (time.perf_counter() - start)
    assert set(verdicts) == {"valid"}, verdicts
    print(
        f"bulk {name:24} 1 process {single:5.1f}/s ({per_cpu_second:5.1f} per CPU second), "
        f"pool of {workers} {pooled:5.1f}/s  (target >= 30)"
    )
    ratio(
        f"bulk verification, {name}: PDFs/s in a pool of {workers}",
        pooled,
        ">= 30",
        f"{len(batch)} PDFs; 1 process {single:.1f}/s; {per_cpu_second:.1f} per CPU second, "
        f"so {workers * per_cpu_second:.0f}/s on {workers} otherwise idle cores",
    )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    bulk = int(sys.argv[2]) if len(sys.argv) > 2 else 48
    distinct = min(12, bulk)
    started = time.perf_counter()
    reference, varied, ca = genuine_pdfs(distinct)
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
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

    bulk_rates("reference memo", [reference] * bulk, ca_pem)
    bulk_rates("varied (0-5 bilagor)", [varied[i % distinct] for i in range(bulk)], ca_pem)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    now = dt.datetime.now(dt.timezone.utc)
    print(f"checked at {now:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load average {load}")


if __name__ == "__main__":
    main()
