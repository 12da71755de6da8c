import json

from mootaflow.domain.redact import REDACTED, redact, redact_headers
from tests.conftest import fixture_bytes


def test_bank_meta_and_tokens_are_redacted_everywhere() -> None:
    item = json.loads(fixture_bytes("mutation-with-bank.json"))
    item["bank"]["meta"] = {"access_token": "s3cr3t-session", "otp": "123456"}
    cleaned = redact([item])[0]
    text = json.dumps(cleaned)
    assert "s3cr3t-session" not in text
    assert "OASiuh(DYNb97" not in text  # the mutation's webhook token
    assert cleaned["bank"]["meta"] == REDACTED
    assert cleaned["token"] == REDACTED
    assert cleaned["bank"]["token"] == REDACTED
    assert cleaned["bank"]["username"] == REDACTED
    # Business fields survive.
    assert cleaned["amount"] == 50000
    assert cleaned["bank"]["bank_type"] == "bri"
    # The input is not modified.
    assert item["token"] == "OASiuh(DYNb97"


def test_headers_lose_credentials_but_keep_the_rest() -> None:
    headers = {"Authorization": "Bearer x", "X-Api-Key": "k", "Signature": "abc", "User-Agent": "M"}
    assert redact_headers(headers) == {
        "Authorization": REDACTED,
        "X-Api-Key": REDACTED,
        "Signature": "abc",
        "User-Agent": "M",
    }
