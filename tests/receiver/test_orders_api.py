"""The merchant API over real HTTP: auth, validation, conflicts, and what it shows."""

import pytest

from mootaflow.domain.settings import Settings
from tests.conftest import TEST_API_KEY
from tests.support.flows import API
from tests.support.servers import RunningReceiver, running_receiver


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/orders"),
        ("GET", "/api/orders/MF-AAAA-BBBB"),
        ("GET", "/api/payments/m1"),
        ("GET", "/api/invoices/INV-202611-00001.pdf"),
    ],
)
async def test_api_needs_a_valid_key(receiver: RunningReceiver, method: str, path: str) -> None:
    missing = await receiver.http.request(method, path, json={})
    assert missing.status_code == 401
    assert missing.json()["detail"].startswith("missing API key")
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = await receiver.http.request(
        method, path, json={}, headers={"Authorization": "Bearer nope"}
    )
    assert (wrong.status_code, wrong.json()["detail"]) == (401, "invalid API key")


async def test_create_and_show_an_order(receiver: RunningReceiver) -> None:
    response = await receiver.http.post(
        "/api/orders",
        json={"account_number": 1234567890, "amount": 150000, "merchant_ref": "SO-77"},
        headers={"X-API-Key": TEST_API_KEY},
    )
    assert response.status_code == 201
    order = response.json()
    assert order["ref"].startswith("MF-")
    assert order["amount"] == 150000 + order["unique_code"]
    assert order["amount_display"] == f"Rp 150.{order['unique_code']:03d}"
    assert order["amount_due"] == str(order["amount"])  # nothing paid yet
    assert (order["status"], order["payment"], order["invoice"]) == ("open", None, None)

    for ref in (order["ref"], order["ref"].lower().replace("-", ""), "SO-77"):
        shown = await receiver.http.get(f"/api/orders/{ref}", headers=API)
        assert shown.status_code == 200
        assert shown.json()["ref"] == order["ref"]

    again = await receiver.http.post(
        "/api/orders",
        json={"account_number": "1234567890", "amount": "150000", "merchant_ref": "SO-77"},
        headers=API,
    )
    assert (again.status_code, again.json()["ref"]) == (200, order["ref"])
    conflict = await receiver.http.post(
        "/api/orders",
        json={"account_number": "1234567890", "amount": 1, "merchant_ref": "SO-77"},
        headers=API,
    )
    assert conflict.status_code == 409
    assert conflict.json()["error"] == "merchant_ref_conflict"


@pytest.mark.parametrize(
    ("content", "content_type", "status", "error"),
    [
        (b'{"account_number": "123", "amount": 1.5}', "application/json", 422, "invalid_order"),
        (b'{"amount": 100}', "application/json", 422, "invalid_order"),
        (b"[1, 2]", "application/json", 400, "bad_json"),
        (b"{nope", "application/json", 400, "bad_json"),
        (b"\xff\xfe", "application/json", 400, "bad_json"),
        (b'{"account_number": "123", "amount": 5}', "text/plain", 415, "unsupported_media_type"),
        (b'{"a": "' + b"x" * 70_000 + b'"}', "application/json", 413, "too_large"),
    ],
)
async def test_bad_order_requests_get_a_precise_4xx(
    receiver: RunningReceiver, content: bytes, content_type: str, status: int, error: str
) -> None:
    response = await receiver.http.post(
        "/api/orders", content=content, headers={**API, "Content-Type": content_type}
    )
    assert response.status_code == status
    assert response.json()["error"] == error


async def test_validation_errors_name_each_field(receiver: RunningReceiver) -> None:
    response = await receiver.http.post(
        "/api/orders",
        json={"account_number": "1", "amount": "12.5", "customer_email": "x", "extra": 1},
        headers=API,
    )
    fields = {problem["field"] for problem in response.json()["detail"]}
    assert fields == {"account_number", "amount", "customer_email", "extra"}


async def test_running_out_of_codes_is_a_conflict(settings: Settings) -> None:
    tiny = settings.model_copy(update={"unique_code_min": 1, "unique_code_max": 1})
    async with running_receiver(tiny) as receiver:
        body = {"account_number": "1234567890", "amount": 5000}
        first = await receiver.http.post("/api/orders", json=body, headers=API)
        second = await receiver.http.post("/api/orders", json=body, headers=API)
    assert first.status_code == 201
    assert (second.status_code, second.json()["error"]) == (409, "no_unique_code_left")


async def test_unknown_things_are_404(receiver: RunningReceiver) -> None:
    for path in ("/api/orders/MF-AAAA-BBBB", "/api/payments/nope", "/api/invoices/INV-1.pdf"):
        response = await receiver.http.get(path, headers=API)
        assert (response.status_code, response.json()["error"]) == (404, "not_found")
