import json

import pytest

from mootaflow.domain.signature import sign, verify
from tests.conftest import LARAVEL_SECRET, SDK_SECRET, fixture_bytes


@pytest.mark.parametrize(
    ("name", "secret"), [("sdk-delivery", SDK_SECRET), ("laravel-delivery", LARAVEL_SECRET)]
)
def test_published_vectors_verify_byte_for_byte(name: str, secret: str) -> None:
    body = fixture_bytes(f"{name}.body")
    signature = json.loads(fixture_bytes(f"{name}.headers.json"))["Signature"]
    assert sign(body, secret) == signature
    assert verify(body, signature, [secret])


def test_one_byte_change_in_body_or_signature_fails() -> None:
    body = fixture_bytes("sdk-delivery.body")
    signature = sign(body, SDK_SECRET)
    assert not verify(body + b" ", signature, [SDK_SECRET])
    assert not verify(body.replace(b"100123", b"100124"), signature, [SDK_SECRET])
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert not verify(body, flipped, [SDK_SECRET])


def test_any_configured_secret_matches_for_rotation() -> None:
    body = b"[]"
    assert verify(body, sign(body, "new"), ["old", "new"])
    assert verify(body, sign(body, "old"), ["old", "new"])
    assert not verify(body, sign(body, "other"), ["old", "new"])


@pytest.mark.parametrize("signature", [None, "", "abc", "é" * 64, "0" * 63, "0" * 65, "\x00" * 64])
def test_garbage_signatures_fail_without_raising(signature: str | None) -> None:
    assert not verify(b"[]", signature, ["secret"])


def test_no_secrets_means_nothing_verifies() -> None:
    assert not verify(b"[]", sign(b"[]", "x"), [])


def test_uppercase_hex_and_whitespace_are_tolerated() -> None:
    assert verify(b"[]", f" {sign(b'[]', 's').upper()} ", ["s"])
