"""Each organisation's PKI (CA, seal, TSA): its certificates as files, its keys in custody.

``<KEYS_DIR>/<CODE>/`` holds what the organisation's custody backend (attest.custody)
wrote: for software keys the dump_org_pki files (keys encrypted under KEY_PASSPHRASE,
mode 0600); for keys in an HSM the certificates and custody.json, which names the
backend and the keys' labels. ``<KEYS_DIR>/<CODE>-ca.pem`` is the published CA
certificate. KEYS_DIR defaults
to the instance folder, beside the configuration whose passphrase opens them; in a source
checkout the CA certificate is also exported to the top-level ``keys/`` for clerks. Loaded
PKIs are cached per process (loading decrypts three keys or opens a token session);
the files are the truth.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from flask import current_app

from attest import clock
from attest.custody import CUSTODY_FILE, PKCS11, SOFTWARE, OrgCustody
from attest.errors import Invalid
from attest.files import private_dir
from attest.i18n import _l
from attest.orgs.models import Organisation
from attest.paths import PACKAGE_DIR

# create_org_pki is looked up here by the software backend: the tests put the session's
# PKI in its place.
from attest.pki import OrgPki, create_org_pki  # noqa: F401
from attest.pki.ca import certificate_pem

_cache: dict[tuple[str, str, str, float], OrgPki] = {}
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
        raise Invalid(
            _l("ATTEST_KEY_PASSPHRASE saknas: organisationens nycklar kan inte låsas upp.")
        )
    return passphrase


def has_pki(organisation: Organisation) -> bool:
    return (org_dir(organisation.code) / "ca.pem").exists()


def backend_of(code: str) -> str:
    """The custody backend holding an organisation's keys, as its key folder records it."""
    marker = org_dir(code) / CUSTODY_FILE
    if not marker.exists():
        return SOFTWARE
    return str(json.loads(marker.read_text(encoding="utf-8")).get("backend", SOFTWARE))


def org_custody(backend: str, code: str = "") -> OrgCustody:
    """The backend that creates and opens organisation keys, configured from the app."""
    if backend == PKCS11:
        from attest.custody.pkcs11 import Pkcs11OrgCustody

        return Pkcs11OrgCustody.from_config(current_app.config)
    if backend != SOFTWARE:
        raise Invalid(
            _l("Okänd nyckelförvaring %(backend)s för %(code)s.", backend=repr(backend), code=code)
        )
    from attest.custody.software import SoftwareOrgCustody

    return SoftwareOrgCustody(
        _passphrase(),
        rounds=current_app.config["KEY_KDF_ROUNDS"],
        folder=str(org_dir(code)) if code else "",
    )


def init_org_keys(organisation: Organisation, *, backend: str = SOFTWARE) -> OrgPki:
    """Create the organisation's CA, seal and TSA where ``backend`` keeps keys; refuse if
    it has them already."""
    if has_pki(organisation):
        raise Invalid(f"Organisationen {organisation.code} har redan nycklar.")
    custody = org_custody(backend, organisation.code)
    pki, files = custody.create(organisation.name, organisation.code, clock.now())
    directory = org_dir(organisation.code)
    private_dir(keys_dir())
    private_dir(directory)
    # ca.pem last: its presence is what has_pki and the cache look at.
    for name in sorted(files, key=lambda name: name == "ca.pem"):
        _write_private(directory / name, files[name])
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
            _l(
                "Organisationen %(code)s saknar nycklar. En administratör kör "
                "'attest keys init --org %(code)s'.",
                code=organisation.code,
            )
        )
    backend = backend_of(organisation.code)
    # A changed passphrase, PIN, token or module opens the keys again.
    config = current_app.config
    secret = (
        _passphrase()
        if backend == SOFTWARE
        else "|".join(
            str(config.get(name)) for name in ("PKCS11_MODULE", "PKCS11_TOKEN", "PKCS11_PIN")
        )
    )
    key = (str(directory), backend, secret, marker.stat().st_mtime)
    with _lock:
        pki = _cache.get(key)
        if pki is None:
            files = {path.name: path.read_bytes() for path in directory.iterdir() if path.is_file()}
            pki = org_custody(backend, organisation.code).load(organisation.code, files)
            _cache[key] = pki
    return pki
