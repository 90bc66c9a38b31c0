"""``attest verify`` (the offline verifier, attest.verify.cli, without the web app) and
``attest verify-all`` (a period's attested memos against the records)."""

from __future__ import annotations

import contextlib
import sys

import click
from flask.cli import with_appcontext

from attest import db
from attest.cli.common import refused_exits_2


@click.command("verify", context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def verify_command(args: tuple[str, ...]) -> None:
    """Verify attested PDFs offline (attest verify --help)."""
    from attest.verify.cli import main as verify_main

    sys.exit(verify_main(list(args)))


@click.command("verify-all")
@click.option(
    "--since",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Från och med den dag tjänsteutlåtandena blev attesterade (ÅÅÅÅ-MM-DD).",
)
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Till och med den dagen (standard: i dag).",
)
@click.option("--org", "org_code", default=None, help="Organisationens kod (standard: alla).")
@click.option("--json", "as_json", is_flag=True, help="Skriv rapporten som JSON.")
@with_appcontext
def verify_all_command(since, until, org_code: str | None, as_json: bool) -> None:
    """Verify every memo attested in a period against the records; exit 1 if any is not valid."""
    import json

    import sqlalchemy as sa

    from attest.attestation import keystore
    from attest.orgs.models import Organisation
    from attest.orgs.operations import get_organisation
    from attest.verify.bulk import record_run, verify_all

    with refused_exits_2():
        if org_code:
            organisations = [get_organisation(org_code)]
        else:
            everyone = db.session().scalars(sa.select(Organisation).order_by(Organisation.code))
            organisations = [org for org in everyone if keystore.has_pki(org)]
    reports = []
    for org in organisations:
        with contextlib.ExitStack() as stack, refused_exits_2():
            bars: list = []

            def progress(done: int, total: int, org=org, bars=bars, stack=stack) -> None:
                if not bars:
                    bar = click.progressbar(
                        length=total, label=f"Verifierar {org.code}", file=sys.stderr
                    )
                    bars.append(stack.enter_context(bar))
                bars[0].update(1)

            report = verify_all(
                org, since.date(), until.date() if until else None, progress=progress
            )
        record_run(report, source="cli")
        reports.append(report)
    db.session().commit()

    if as_json:
        payload = [r.to_dict() for r in reports]
        click.echo(json.dumps(payload[0] if org_code else payload, ensure_ascii=False, indent=2))
    else:
        for report in reports:
            _print_bulk_report(report)
    sys.exit(0 if all(r.ok for r in reports) else 1)


def _print_bulk_report(report) -> None:
    from attest.verify.report import check_title, format_time

    period = f"{report.since.isoformat()} – {report.until.isoformat() if report.until else 'i dag'}"
    click.echo(
        f"{report.organisation_code} {period}: {report.valid} av {report.total} giltiga "
        f"({report.seconds:.1f} s, {report.rate:.1f} per sekund)."
    )
    if not report.audit_ok:
        click.echo(f"  Granskningsloggen är bruten vid {report.audit_reason}.")
    for item in report.not_valid:
        attested = format_time(item.attested_at)
        click.echo(f"  {item.dnr} ”{item.rubrik}” ({attested}): {item.verdict_title}")
        for check in item.problems:
            title = check_title(check.code, "sv")
            where = f" ({check.subject})" if check.subject else ""
            click.echo(f"    ✗ {title}{where}: {check.message}")
