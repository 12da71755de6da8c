"""Whose address counts: the TCP peer, unless it is a trusted proxy."""

import ipaddress

import pytest
from starlette.requests import Request

from mootaflow.domain.settings import Settings
from mootaflow.receiver.client_ip import client_ip
from tests.support.moota import body_of, mutation, post_signed
from tests.support.servers import running_receiver

PROXY = [ipaddress.ip_network("10.0.0.0/8")]


def request(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.9", None, "203.0.113.9"),
        # An untrusted peer cannot claim another address.
        ("203.0.113.9", "103.236.201.178", "203.0.113.9"),
        ("10.0.0.5", "103.236.201.178", "103.236.201.178"),
        # Only the hop our proxy saw counts, not what the client prepended.
        ("10.0.0.5", "103.236.201.178, 198.51.100.4", "198.51.100.4"),
        ("10.0.0.5", "198.51.100.4, 10.0.0.7", "198.51.100.4"),
        ("10.0.0.5", "", "10.0.0.5"),
        ("10.0.0.5", "garbage", "garbage"),
    ],
)
def test_client_ip(peer: str, forwarded: str | None, expected: str) -> None:
    assert client_ip(request(peer, forwarded), PROXY) == expected


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_ip(request("10.0.0.5", "103.236.201.178"), []) == "10.0.0.5"


async def test_allowlist_behind_a_trusted_proxy(settings: Settings) -> None:
    allowed = "103.236.201.178"
    behind_proxy = settings.model_copy(
        update={"allowed_ips": [allowed], "trusted_proxies": ["127.0.0.1"]}
    )
    async with running_receiver(behind_proxy) as receiver:
        ok = await post_signed(
            receiver.http, body_of(mutation()), headers={"X-Forwarded-For": allowed}
        )
        assert ok.status_code == 200
        refused = await post_signed(receiver.http, body_of(mutation()))
        assert refused.status_code == 403

    direct = settings.model_copy(update={"allowed_ips": [allowed]})
    async with running_receiver(direct) as receiver:
        spoofed = await post_signed(
            receiver.http, body_of(mutation()), headers={"X-Forwarded-For": allowed}
        )
        assert spoofed.status_code == 403
        assert spoofed.json()["detail"] == "source address 127.0.0.1 is not allowed"
