"""Where a webhook may be sent: refusing the internal network (SSRF).

A target is checked when it is registered and again, by its resolved addresses, at every
delivery (a name can be pointed elsewhere later). The delivery then connects to the address
that was checked, not to whatever the name resolves to a moment later.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

from flask_babel import gettext as _

from attest.errors import Invalid

MAX_URL_LENGTH = 2000


class TargetRefused(Invalid):
    """The URL is not one attest sends webhooks to."""


def check_url(url: str, *, allow_private: bool) -> SplitResult:
    """The URL's parts if its form is acceptable: https (http only with allow_private)."""
    url = url.strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise TargetRefused(_("Ange en adress (URL) på högst %(n)d tecken.", n=MAX_URL_LENGTH))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused(_("Adressen %(url)s går inte att läsa.", url=url)) from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise TargetRefused(_("Adressen måste börja med https://."))
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise TargetRefused(_("Adressen måste ha ett värdnamn och inga inloggningsuppgifter."))
    if port == 0:
        raise TargetRefused(_("Adressen %(url)s går inte att läsa.", url=url))
    return parts


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(parts: SplitResult, *, allow_private: bool) -> str:
    """The address to connect to: the first one the name has, all of them public."""
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise TargetRefused(_("Värdnamnet %(host)s går inte att slå upp.", host=host)) from None
    addresses = [str(info[4][0]) for info in found]
    if not addresses:
        raise TargetRefused(_("Värdnamnet %(host)s går inte att slå upp.", host=host))
    if not allow_private and not all(_is_public(a) for a in addresses):
        raise TargetRefused(
            _(
                "Adressen %(host)s pekar på ett internt nät (loopback, privat eller "
                "länklokal adress); dit skickar attest inga webhooks.",
                host=host,
            )
        )
    return str(addresses[0])


def check_target(url: str, *, allow_private: bool) -> SplitResult:
    """The URL's form and its current addresses, as at registration."""
    parts = check_url(url, allow_private=allow_private)
    resolve(parts, allow_private=allow_private)
    return parts
