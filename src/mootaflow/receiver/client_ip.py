"""Who is calling: the TCP peer, unless the peer is a proxy we trust."""

import ipaddress
from collections.abc import Sequence

from starlette.requests import Request

from mootaflow.domain.settings import IPNetwork


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address.strip())
    except ValueError:
        return None


def in_networks(address: str, networks: Sequence[IPNetwork]) -> bool:
    parsed = _parse(address)
    return parsed is not None and any(parsed in network for network in networks)


def client_ip(request: Request, trusted_proxies: Sequence[IPNetwork]) -> str:
    """The caller's address. X-Forwarded-For counts only when the peer is a trusted proxy,
    and then only up to the first hop that is not itself trusted (anything left of
    that hop could have been written by the client)."""
    peer = request.client.host if request.client else "unknown"
    if not trusted_proxies or not in_networks(peer, trusted_proxies):
        return peer
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",")]
    hops = [hop for hop in hops if hop]
    for hop in reversed(hops):
        if not in_networks(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer
