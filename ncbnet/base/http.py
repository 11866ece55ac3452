"""Who is asking, as far as the network in front of the node lets us know."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """One hop of X-Forwarded-For: an address, perhaps with a port (1.2.3.4:5678, [2001:db8::1]:443)."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in network for network in settings.NCBNET_TRUSTED_PROXIES)


def client_ip(request: HttpRequest) -> str:
    """The client's address. REMOTE_ADDR, unless it is one of NCBNET_TRUSTED_PROXIES: then
    X-Forwarded-For is read from the right (each proxy appends the address it saw), skipping
    trusted proxies, and the first address that is not one is the client. What lies left of it
    was written by the client and is not believed. A missing or malformed hop leaves the nearest
    proxy's address, the last one known for certain."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    nearest = _address(remote)
    if nearest is None or not settings.NCBNET_TRUSTED_PROXIES or not _trusted(nearest):
        return remote
    hops = str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        nearest = address
        if not _trusted(address):
            break
    return str(nearest)
