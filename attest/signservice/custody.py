"""The signature service as a personal custody backend (attest.custody, docs/custody.md).

The key is the service's, made per signature after the person logs in there, so there is
no identity to sign with in one request: "Attestera" sends the person to the service
(attest.signservice.operations.begin) and the signature comes back to be embedded
(``embed_remote``). Asked for an identity in one step, as with a password, this backend
refuses: a person set to sign through the service never signs with a key here.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar

from attest.custody import SigningIdentity
from attest.errors import Invalid
from attest.i18n import _l

if TYPE_CHECKING:
    from attest.users.models import User

SIGNSERVICE = "signservice"


class SignServicePersonalCustody:
    """A person who signs through the Sweden Connect signature service."""

    name: ClassVar[str] = SIGNSERVICE

    def identity(
        self, user: User, secret: str | None, *, substitution_id: int | None, at: dt.datetime
    ) -> SigningIdentity:
        raise Invalid(
            _l(
                "Du skriver under med underskriftstjänsten: tryck på Attestera så skickas du "
                "dit för att logga in med din e-legitimation."
            )
        )
