"""Each organisation's PKI (CA, seal, TSA) as files, the private keys encrypted.

``<KEYS_DIR>/<CODE>/`` holds the dump_org_pki files (keys encrypted under KEY_PASSPHRASE,
mode 0600) and ``<KEYS_DIR>/<CODE>-ca.pem`` the published CA certificate. KEYS_DIR defaults
to the instance folder, beside the configuration whose passphrase opens them; in a source
checkout the CA certificate is also exported to the top-level ``keys/`` for clerks. Loaded
PKIs are cached per process (loading decrypts three keys); the files are the truth.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from flask import current_app

from attest import clock
from attest.errors import Invalid
from attest.files import private_dir
from attest.orgs.models import Organisation
from attest.paths import PACKAGE_DIR
from attest.pki import OrgPki, WrongPassword, create_org_pki, dump_org_pki, load_org_pki
from attest.pki.ca import certificate_pem

_cache: dict[tuple[str, str, float], OrgPki] = {}
_lock = threading.Lock()


def keys_dir() -> Path:
    configured = current_app.config.get("KEYS_DIR")
    if configured:
        return Path(configured)
    return Path(current_app.instance_path) / "keys"


def _checkout_keys_dir() -> Path | None:
    """The repository's keys/ (public material only), when running from a checkout."""
    if current_app.config.get("KEYS_DIR"):
        return None
    checkout = PACKAGE_DIR.parent / "keys"
    if checkout.is_dir() and (PACKAGE_DIR.parent / "setup.cfg").exists():
        return checkout
    return None


def org_dir(code: str) -> Path:
    return keys_dir() / code


def ca_path(code: str) -> Path:
    return keys_dir() / f"{code}-ca.pem"


def _passphrase() -> str:
    passphrase = current_app.config.get("KEY_PASSPHRASE")
    if not passphrase:
        raise Invalid("ATTEST_KEY_PASSPHRASE saknas: organisationens nycklar kan inte låsas upp.")
    return passphrase


def has_pki(organisation: Organisation) -> bool:
    return (org_dir(organisation.code) / "ca.pem").exists()


def init_org_keys(organisation: Organisation) -> OrgPki:
    """Create the organisation's CA, seal and TSA; refuse if it has them already."""
    if has_pki(organisation):
        raise Invalid(f"Organisationen {organisation.code} har redan nycklar.")
    pki = create_org_pki(organisation.name, organisation.code, clock.now())
    files = dump_org_pki(pki, _passphrase(), rounds=current_app.config["KEY_KDF_ROUNDS"])
    directory = org_dir(organisation.code)
    private_dir(keys_dir())
    private_dir(directory)
    for name, data in files.items():
        _write_private(directory / name, data)
    ca_path(organisation.code).write_bytes(certificate_pem(pki.ca_cert))
    public = _checkout_keys_dir()
    if public is not None:
        (public / f"{organisation.code}-ca.pem").write_bytes(certificate_pem(pki.ca_cert))
    return pki


def _write_private(path: Path, data: bytes) -> None:
    # Written beside and renamed: no half-written key file is ever visible.
    temporary = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def org_pki(organisation: Organisation) -> OrgPki:
    directory = org_dir(organisation.code)
    marker = directory / "ca.pem"
    if not marker.exists():
        raise Invalid(
            f"Organisationen {organisation.code} saknar nycklar. En administratör kör "
            f"'attest keys init --org {organisation.code}'."
        )
    key = (str(directory), _passphrase(), marker.stat().st_mtime)
    with _lock:
        pki = _cache.get(key)
        if pki is None:
            files = {path.name: path.read_bytes() for path in directory.iterdir() if path.is_file()}
            try:
                pki = load_org_pki(files, _passphrase())
            except (WrongPassword, ValueError):
                raise Invalid(
                    f"Organisationens nycklar i {directory} kan inte låsas upp: "
                    "ATTEST_KEY_PASSPHRASE stämmer inte med den som skapade dem."
                ) from None
            _cache[key] = pki
    return pki
