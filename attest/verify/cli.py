"""``attest verify FILE.pdf... --trust CA.pem``: the clerk's offline check.

Exit status: 0 every file valid, 1 some file invalid or undecidable (a damaged signed PDF
too, and one over the signature limit), 2 unusable input (a missing file, not a PDF, an
encrypted one, a bad --trust or --crl file, no --trust).
argparse rather than click, and the verification core imported only once the arguments
are read: ``attest verify --help`` answers at once, and a check starts as fast as
pyHanko allows.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Sequence, TextIO

from attest.verify.report import STATUS_SYMBOLS, check_title, format_time, label
from attest.verify.result import DEFAULT_MAX_SIGNATURES

if TYPE_CHECKING:
    from cryptography import x509

    from attest.verify.core import VerificationResult

__all__ = ["main"]

EXIT_VALID, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2

DESCRIPTION = (
    "Kontrollera attesterade PDF:er utan attest-servern: varje signatur, tidsstämpel, "
    "certifikat och attesteringsordningen. / Verify attested PDFs without the attest "
    "server."
)
EPILOG = (
    "Slutstatus: 0 alla filer giltiga, 1 någon fil ogiltig eller inte avgjord, "
    "2 oanvändbar indata. Exempel: attest verify tjansteutlatande.pdf --trust keys/EÅV-ca.pem"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="attest verify", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("files", nargs="+", metavar="FILE.pdf", help="PDF-fil(er) att kontrollera")
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="CA.pem",
        help="organisationens CA-certifikat, t.ex. keys/EÅV-ca.pem (PEM eller DER; kan upprepas)",
    )
    parser.add_argument(
        "--crl",
        action="append",
        default=[],
        metavar="CRL.pem",
        help="aktuell spärrlista från CA:t (PEM eller DER; kan upprepas)",
    )
    parser.add_argument("--json", action="store_true", help="skriv resultatet som JSON")
    parser.add_argument(
        "--lang", choices=("sv", "en"), default="sv", help="språk för texterna (sv eller en)"
    )
    parser.add_argument(
        "--expected-steps",
        type=int,
        metavar="N",
        help="antal attesteringssteg som rutten ska ha",
    )
    parser.add_argument(
        "--max-signatures",
        type=int,
        default=DEFAULT_MAX_SIGNATURES,
        metavar="N",
        help=f"kontrollera inte filer med fler signaturer eller revisioner än N "
        f"({DEFAULT_MAX_SIGNATURES})",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    try:
        return run(args)
    except BrokenPipeError:
        # `attest verify ... | head`: the reader left; say nothing more, keep the status.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_INVALID


def run(args: argparse.Namespace) -> int:
    """Verify every file named in args; the exit status."""
    lang: str = args.lang
    err = sys.stderr
    # pyHanko logs damaged input as warnings with tracebacks; the report says it better.
    logging.getLogger("pyhanko").setLevel(logging.ERROR)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)
    logging.getLogger("pypdf").setLevel(logging.ERROR)

    if not args.trust:
        print(label("need_trust", lang), file=err)
        return EXIT_UNUSABLE

    from attest.verify.core import load_crls, load_trust, verify_pdf

    trust: list[x509.Certificate] = []
    for path in args.trust:
        try:
            trust.extend(load_trust(Path(path).read_bytes()))
        except (OSError, ValueError) as exc:
            print(label("bad_trust", lang, path=path, detail=exc), file=err)
            return EXIT_UNUSABLE
    crls: list[x509.CertificateRevocationList] = []
    for path in args.crl:
        try:
            crls.extend(load_crls(Path(path).read_bytes()))
        except (OSError, ValueError) as exc:
            print(label("bad_crl", lang, path=path, detail=exc), file=err)
            return EXIT_UNUSABLE

    status = EXIT_VALID
    documents: list[dict[str, object]] = []
    valid_count = 0
    for path in args.files:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            print(label("missing_file", lang, path=path, detail=exc.strerror or exc), file=err)
            status = EXIT_UNUSABLE
            if args.json:
                documents.append({"file": path, "error": str(exc)})
            continue
        result = verify_pdf(
            data,
            trust=trust,
            crls=crls,
            expected_steps=args.expected_steps,
            max_signatures=args.max_signatures,
        )
        valid_count += result.ok
        if result.unusable:
            status = EXIT_UNUSABLE
        elif not result.ok and status == EXIT_VALID:
            status = EXIT_INVALID
        if args.json:
            documents.append({"file": path, **result.to_dict()})
        else:
            print_result(path, result, lang, sys.stdout)
    if args.json:
        payload = documents[0] if len(args.files) == 1 and documents else documents
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif len(args.files) > 1:
        print(label("summary", lang, valid=valid_count, total=len(args.files)))
    return status


def print_result(path: str, result: VerificationResult, lang: str, out: TextIO) -> None:
    """The verdict first, then who attested what and when, then every check and why."""
    verdict = result.title(lang)
    if result.unusable:
        verdict = f"{verdict} ({label('unusable', lang).lower()})"
    out.write(f"{path}: {verdict}\n")
    if result.organisation:
        out.write(f"  {label('organisation', lang)}: {result.organisation}\n")
    out.write(f"  {label('attested_by', lang)}:\n")
    if not result.attestations:
        out.write(f"    {label('no_attestations', lang)}\n")
    for a in result.attestations:
        who = ", ".join(part for part in (a.signer_name, a.title) if part)
        if a.acting_for:
            who += f" ({label('acting_for', lang, name=a.acting_for)})"
        when = format_time(a.timestamp_time or a.signing_time)
        stamped = label("timestamped", lang) if a.timestamp_time else label("signed", lang)
        out.write(
            f"    {a.position}. {who} ({a.organisation}) — {stamped} {when}"
            f" — {label('certificate', lang)} SHA-256 {a.certificate_sha256[:16]}…\n"
        )
    out.write(f"  {label('checks', lang)}:\n")
    subject, seen_subject = "", False
    for check in result.checks:
        seen_subject = seen_subject or bool(check.subject)
        if check.subject != subject:
            subject = check.subject
            out.write(f"    {subject or label('document', lang)}:\n")
        indent = "      " if subject or seen_subject else "    "
        message = check.text(lang)
        if check.status == "not_checked" and not subject:
            message = f"{check_title(check.code, lang)}: {message}"
        out.write(f"{indent}{STATUS_SYMBOLS[check.status]} {message}\n")
    out.write("\n")
