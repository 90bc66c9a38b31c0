"""``attest keys`` (the organisation's CA, seal and TSA) and ``attest audit`` (the audit
log's chain and its sealed anchors, which attest.attestation.audit_anchor keeps)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from attest import db
from attest.cli.common import refused_exits_2


@click.group("keys")
def keys_group() -> None:
    """The organisations' PKI: CA, seal and timestamp authority."""


@keys_group.command("init")
@click.option("--org", "org_code", required=True)
@click.option(
    "--pkcs11",
    is_flag=True,
    help="Generate the keys inside the HSM token (ATTEST_PKCS11_MODULE, _TOKEN, _PIN).",
)
@with_appcontext
def keys_init(org_code: str, pkcs11: bool) -> None:
    """Create the organisation's CA, seal and TSA certificates and keys."""
    from attest.attestation import keystore
    from attest.custody import PKCS11, SOFTWARE
    from attest.orgs.operations import get_organisation

    backend = PKCS11 if pkcs11 else SOFTWARE
    with refused_exits_2():
        org = get_organisation(org_code)
        keystore.init_org_keys(org, backend=backend)
        from attest import audit

        audit.record(
            "organisation:keys:created",
            organisation=org,
            data={"code": org.code, "custody": backend},
        )
        db.session().commit()
    if pkcs11:
        click.echo(
            f"Nycklar för {org_code} skapades i token {current_app.config['PKCS11_TOKEN']!r} "
            "och lämnar den aldrig; certifikaten finns i "
            f"{keystore.org_dir(org_code)}."
        )
    else:
        click.echo(f"Nycklar för {org_code} finns i {keystore.org_dir(org_code)} (krypterade).")
    click.echo(f"CA-certifikatet att dela ut: {keystore.ca_path(org_code)}")


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Check the hash chain and its sealed anchors; exit 1 at the first broken entry."""
    from attest.attestation.audit_anchor import verify_audit

    report = verify_audit()
    if report.ok:
        click.echo(f"Granskningsloggen är hel: {report.entries} poster.")
        return
    click.echo(
        f"Granskningsloggen är bruten vid post {report.first_broken_seq}: {report.reason}.",
        err=True,
    )
    sys.exit(1)


@audit_group.command("timestamp")
@with_appcontext
def audit_timestamp() -> None:
    """Anchor the chain's head with each organisation's system seal (daily, from cron)."""
    from attest.attestation.audit_anchor import timestamp_all

    count = timestamp_all()
    db.session().commit()
    click.echo(f"Huvudet förankrat med systemsigillet för {count} organisation(er).")
