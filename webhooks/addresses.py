"""Where a webhook may be sent: only to public internet addresses over http or https.

An endpoint URL is chosen by an administrator, but the server that sends it sits inside the
network: without these checks a URL could make Steward post to its own database, the cloud's
metadata service (169.254.169.254) or any internal system (server-side request forgery). The
check runs when the endpoint is saved and again before every delivery, because what a name
resolves to may change; the delivery then connects to the very address that was checked
(webhooks.sending), so a name cannot resolve to a public address for the check and a private
one for the connection.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedAddress(Exception):
    """The URL may not be used; the message says why, for the admin form and the delivery log."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # the name as written, for the Host header, TLS's server name and certificate check
    port: int
    path: str  # path and query, as sent in the request line
    address: str  # the checked IP address to connect to


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return is_public(mapped)
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise RefusedAddress(_("The address “%(host)s” could not be found.") % {"host": host}) from error
    # Drop an IPv6 zone ("fe80::1%eth0"): it is link-local, refused below anyway.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]


def check_url(url: str) -> Target:
    """The target to connect to, or RefusedAddress. Every address the name resolves to must be
    allowed: a name with one private address among public ones is refused."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise RefusedAddress(_("Only http and https addresses can receive webhooks."))
    try:
        host, port = parts.hostname, parts.port
    except ValueError as error:
        raise RefusedAddress(_("The port of this address is not valid.")) from error
    if not host:
        raise RefusedAddress(_("This address has no host name."))
    if parts.username or parts.password:
        raise RefusedAddress(_("Put no user name or password in the address; the signature authenticates Steward."))
    port = port or (443 if scheme == "https" else 80)
    addresses = _resolve(host, port)
    if not addresses:
        raise RefusedAddress(_("The address “%(host)s” could not be found.") % {"host": host})
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        for address in addresses:
            if not is_public(address):
                raise RefusedAddress(
                    _(
                        "“%(host)s” leads to %(address)s, a private or reserved address: "
                        "webhooks go to the internet only."
                    )
                    % {"host": host, "address": address}
                )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=host, port=port, path=path, address=str(addresses[0]))
