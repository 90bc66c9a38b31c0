"""The software backend: keys as passphrase- or password-encrypted PKCS#8 files and rows.

The organisation's keys are the dump_org_pki files (encrypted under KEY_PASSPHRASE) in
its key folder; a person's key is their UserKey row, encrypted under their own password
(attest.attestation.personal). Today's behaviour, and the default.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar, Mapping

from attest.custody import SOFTWARE, SigningIdentity, key_identity
from attest.errors import Invalid
from attest.i18n import _l
from attest.pki import OrgPki, WrongPassword, dump_org_pki, load_org_pki

if TYPE_CHECKING:
    from attest.users.models import User


class SoftwareOrgCustody:
    """The organisation's CA, seal and TSA keys as files encrypted under a passphrase."""

    name: ClassVar[str] = SOFTWARE

    def __init__(self, passphrase: str, *, rounds: int, folder: str = "") -> None:
        self._passphrase = passphrase
        self._rounds = rounds
        self._folder = folder  # for messages only

    def create(
        self, org_name: str, org_code: str, now: dt.datetime
    ) -> tuple[OrgPki, dict[str, bytes]]:
        from attest.attestation import keystore  # its create_org_pki: see there

        pki = keystore.create_org_pki(org_name, org_code, now)
        return pki, dump_org_pki(pki, self._passphrase, rounds=self._rounds)

    def load(self, org_code: str, files: Mapping[str, bytes]) -> OrgPki:
        try:
            return load_org_pki(files, self._passphrase)
        except (WrongPassword, ValueError):
            raise Invalid(
                _l(
                    "Organisationens nycklar i %(folder)s kan inte låsas upp: "
                    "ATTEST_KEY_PASSPHRASE stämmer inte med den som skapade dem.",
                    folder=self._folder or org_code,
                )
            ) from None


class SoftwarePersonalCustody:
    """A person's own key, encrypted under the password only they know."""

    name: ClassVar[str] = SOFTWARE

    def identity(
        self, user: User, secret: str | None, *, substitution_id: int | None, at: dt.datetime
    ) -> SigningIdentity:
        from attest.attestation import keystore, personal

        if not secret:
            raise Invalid(_l("Skriv ditt lösenord för att attestera."))
        # A certificate that no longer states the person's roles (or one made before
        # certificates named the person) is replaced first: the CA needs no password.
        personal.ensure_current_certificate(user)
        key, cert, row = personal.unlock(user, secret)  # WrongPassword propagates
        if substitution_id is not None:
            acting = personal.acting_certificate(user, row, substitution_id, at)
            if acting is None:
                raise NoActingCertificate()
            cert = acting
        return key_identity(key, cert, keystore.org_pki(user.organisation).chain)


class NoActingCertificate(Invalid):
    """The substitute has no valid t.f. certificate for this substitution."""

    def __init__(self) -> None:
        super().__init__(_l("Du har inget giltigt t.f.-certifikat för rollen."))


__all__ = ["NoActingCertificate", "SoftwareOrgCustody", "SoftwarePersonalCustody", "WrongPassword"]
