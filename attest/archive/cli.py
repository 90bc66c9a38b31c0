"""``attest archive export``: one E-ARK SIP per memo attested in a period."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("archive")
def archive_group() -> None:
    """Leverans till arkivet (E-ARK SIP enligt FGS Paketstruktur)."""


@archive_group.command("export")
@click.option("--org", "org_code", required=True, help="Organisationens kod, t.ex. EÅV.")
@click.option("--since", required=True, help="Från och med attestdatum (ÅÅÅÅ-MM-DD).")
@click.option("--until", required=True, help="Till och med attestdatum (ÅÅÅÅ-MM-DD).")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Mappen som paketen skrivs till (en mapp per tjänsteutlåtande).",
)
@with_appcontext
def export_command(org_code: str, since: str, until: str, out_dir: Path) -> None:
    """Write one SIP per memo of the organisation attested in the period into OUT."""
    from attest import db
    from attest.archive.operations import export_period, parse_period
    from attest.cli import refused_exits_2
    from attest.orgs.operations import get_organisation

    with refused_exits_2():
        organisation = get_organisation(org_code)
        period = parse_period(since, until)
        written = export_period(organisation, period, out_dir)
    db.session().commit()
    for folder in written:
        click.echo(str(folder))
    click.echo(f"{len(written)} paket skrivna till {out_dir}", err=True)
