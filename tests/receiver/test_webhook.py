"""The webhook endpoint on a real uvicorn server, real SQLite and the real Temporal dev server."""

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlmodel import col
from temporalio.client import Client

from mootaflow.domain.settings import Settings
from mootaflow.store.db import Sessions
from mootaflow.store.tables import Delivery, InboxMutation, QuarantinedMutation
from tests.conftest import fixture_bytes
from tests.support.moota import body_of, mutation, post_signed
from tests.support.servers import RunningReceiver, running_receiver
from tests.support.temporal import count_runs, describe_or_none, settled, wait_for_workflow


async def deliveries(inbox_sessions: Sessions) -> list[Delivery]:
    async with inbox_sessions.begin() as session:
        result = await session.execute(select(Delivery).order_by(col(Delivery.id)))
        return list(result.scalars())


async def inbox_rows(inbox_sessions: Sessions) -> list[InboxMutation]:
    async with inbox_sessions.begin() as session:
        return list((await session.execute(select(InboxMutation))).scalars())


@pytest.mark.parametrize("name", ["sdk-delivery", "laravel-delivery"])
async def test_published_fixture_deliveries_are_accepted_as_sent(
    receiver: RunningReceiver, client: Client, inbox_sessions: Sessions, name: str
) -> None:
    body = fixture_bytes(f"{name}.body")
    headers = json.loads(fixture_bytes(f"{name}.headers.json"))
    response = await receiver.http.post("/webhooks/moota", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"received": 1, "duplicates": 0, "quarantined": 0}
    [row] = await inbox_rows(inbox_sessions)
    description = await wait_for_workflow(client, row.workflow_id)
    assert description.id == f"moota-mutation-{row.mutation_id}"


@pytest.mark.parametrize("where", ["body", "signature"])
async def test_one_byte_change_in_fixture_is_refused(
    receiver: RunningReceiver, inbox_sessions: Sessions, where: str
) -> None:
    body = fixture_bytes("sdk-delivery.body")
    headers = json.loads(fixture_bytes("sdk-delivery.headers.json"))
    if where == "body":
        body = body.replace(b"100123", b"100124", 1)
    else:
        last = headers["Signature"][-1]
        headers["Signature"] = headers["Signature"][:-1] + ("0" if last != "0" else "1")
    response = await receiver.http.post("/webhooks/moota", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "error": "bad_signature",
        "detail": "Signature does not match the body",
    }
    assert await inbox_rows(inbox_sessions) == []
    [delivery] = await deliveries(inbox_sessions)
    assert (delivery.verdict, delivery.status_code, delivery.body) == ("bad_signature", 401, None)
    assert delivery.body_sha256 is not None and delivery.body_bytes == len(body)


async def test_tampered_delivery_never_reaches_temporal(
    receiver: RunningReceiver, client: Client, inbox_sessions: Sessions
) -> None:
    item = mutation()
    signed = body_of(item)
    tampered = signed.replace(b"150123", b"150124")
    from mootaflow.domain.signature import sign

    response = await receiver.http.post(
        "/webhooks/moota",
        content=tampered,
        headers={
            "Content-Type": "application/json",
            "Signature": sign(signed, "test-webhook-secret"),
        },
    )
    assert response.status_code == 401
    await receiver.state["redrive"].once()
    await asyncio.sleep(0.5)
    assert await describe_or_none(client, f"moota-mutation-{item['mutation_id']}") is None
    assert await inbox_rows(inbox_sessions) == []


async def test_refusals_in_order_each_with_status_message_and_audit_row(
    settings: Settings, inbox_sessions: Sessions
) -> None:
    signed = body_of(mutation())
    restricted = settings.model_copy(update={"allowed_ips": ["203.0.113.0/24"]})
    async with running_receiver(restricted) as receiver:
        # The address check comes first: even a perfect delivery is refused.
        response = await post_signed(receiver.http, signed)
        assert response.status_code == 403
        assert response.json() == {
            "error": "forbidden_source",
            "detail": "source address 127.0.0.1 is not allowed",
        }

    small = settings.model_copy(update={"max_body_bytes": 1024})
    async with running_receiver(small) as receiver:
        http = receiver.http
        big = body_of(mutation(description="x" * 2000))
        cases = [
            # Size before content type and signature.
            (
                await http.post(
                    "/webhooks/moota", content=big, headers={"Content-Type": "text/plain"}
                ),
                413,
                "too_large",
                "body larger than the limit of 1024 bytes",
            ),
            (
                await http.post("/webhooks/moota", content=_chunks(big)),
                413,
                "too_large",
                "body larger than the limit of 1024 bytes",
            ),
            (
                await post_signed(http, signed, headers={"Content-Type": "text/plain"}),
                415,
                "unsupported_media_type",
                "content type must be application/json, got text/plain",
            ),
            (
                await http.post("/webhooks/moota", content=signed),
                415,
                "unsupported_media_type",
                "content type must be application/json, got none",
            ),
            (
                await http.post(
                    "/webhooks/moota", content=signed, headers={"Content-Type": "application/json"}
                ),
                401,
                "missing_signature",
                "Signature header is missing",
            ),
            (
                await post_signed(http, signed, secret="wrong-secret"),
                401,
                "bad_signature",
                "Signature does not match the body",
            ),
            (
                await post_signed(http, b'{"mutation_id": "x"}'),
                400,
                "bad_payload",
                "body must be a JSON array of mutations, got a JSON object",
            ),
            (await post_signed(http, b"[{"), 400, "bad_payload", None),
            (await post_signed(http, b"\xff\xfe[]"), 400, "bad_payload", None),
            (
                await post_signed(http, b"[" * 500 + b"]" * 500),
                400,
                "bad_payload",
                "body is nested deeper than 32 levels",
            ),
        ]
        for response, status, verdict, detail in cases:
            assert response.status_code == status, response.text
            assert response.json()["error"] == verdict
            if detail is not None:
                assert response.json()["detail"] == detail
        # Content-Type with parameters and any case is still JSON.
        ok = await post_signed(
            http, body_of(), headers={"Content-Type": "Application/JSON; charset=utf-8"}
        )
        assert ok.status_code == 200

    rows = await deliveries(inbox_sessions)
    assert [(row.verdict, row.status_code) for row in rows] == [
        ("forbidden_source", 403),
        *[(verdict, status) for _, status, verdict, _ in cases],
        ("accepted", 200),
    ]
    assert await inbox_rows(inbox_sessions) == []


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    # No Content-Length: the limit must hold while streaming, too.
    for start in range(0, len(body), 256):
        yield body[start : start + 256]


async def test_unknown_routes_and_methods_are_json_errors(receiver: RunningReceiver) -> None:
    response = await receiver.http.get("/webhooks/moota")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert "POST" in response.headers["allow"]
    response = await receiver.http.post("/nope")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_invalid_mutations_are_quarantined_inside_a_signed_delivery(
    receiver: RunningReceiver, inbox_sessions: Sessions
) -> None:
    good = mutation()
    bad = mutation(amount="lots", mutation_id="bad-1")
    body = body_of(good, bad, 42)
    response = await post_signed(receiver.http, body)
    assert response.status_code == 200
    assert response.json() == {"received": 3, "duplicates": 0, "quarantined": 2}
    [row] = await inbox_rows(inbox_sessions)
    assert row.mutation_id == good["mutation_id"]
    async with inbox_sessions.begin() as session:
        quarantined = list((await session.execute(select(QuarantinedMutation))).scalars())
    assert {(q.mutation_id, q.reason) for q in quarantined} == {
        ("bad-1", "amount 'lots' is not a decimal number"),
        (None, "mutation must be a JSON object, got a JSON number"),
    }
    # Re-sent: the quarantine keeps one row per distinct item, the reply still counts them.
    again = await post_signed(receiver.http, body)
    assert again.json() == {"received": 3, "duplicates": 1, "quarantined": 2}
    async with inbox_sessions.begin() as session:
        assert len(list((await session.execute(select(QuarantinedMutation))).scalars())) == 2
    metrics = (await receiver.http.get("/metrics")).text
    assert 'mootaflow_webhook_mutations_total{outcome="quarantined"}' in metrics


async def test_secrets_are_not_stored(receiver: RunningReceiver, inbox_sessions: Sessions) -> None:
    item = json.loads(fixture_bytes("mutation-with-bank.json"))
    item["mutation_id"] = "secret-check-1"
    item["bank"]["meta"] = {"access_token": "bank-session-token-xyz", "otp": "998877"}
    body = body_of(item)
    response = await post_signed(
        receiver.http, body, headers={"Authorization": "Bearer api-key-abc"}
    )
    assert response.status_code == 200
    async with inbox_sessions.begin() as session:
        stored = [
            *(await session.execute(select(col(Delivery.body), col(Delivery.headers)))).all(),
            *(await session.execute(select(col(InboxMutation.payload)))).all(),
        ]
    dump = json.dumps([list(row) for row in stored])
    for secret in ("bank-session-token-xyz", "998877", "OASiuh(DYNb97", "api-key-abc"):
        assert secret not in dump
    assert "TRSF E-BANKING CR 11/10 124123 MOOTA CO" in dump


async def test_same_delivery_five_times_concurrently_makes_one_workflow_each(
    receiver: RunningReceiver, client: Client, worker: object
) -> None:
    items = [mutation(), mutation(), mutation()]
    body = body_of(*items)
    replies = await asyncio.gather(*(post_signed(receiver.http, body) for _ in range(5)))
    assert [r.status_code for r in replies] == [200] * 5
    counted = [r.json() for r in replies]
    assert all(c["received"] == 3 and c["quarantined"] == 0 for c in counted)
    assert sorted(c["duplicates"] for c in counted) == [0, 3, 3, 3, 3]

    for item in items:
        workflow_id = f"moota-mutation-{item['mutation_id']}"
        await wait_for_workflow(client, workflow_id)
        result = await settled(client, workflow_id)
        assert (result.status, result.flag_reason) == ("awaiting_approval", "no_match")

    # Posted again after the workflows completed: still nothing new.
    again = await post_signed(receiver.http, body)
    assert again.json() == {"received": 3, "duplicates": 3, "quarantined": 0}
    await receiver.state["redrive"].once()
    await asyncio.sleep(1.0)
    for item in items:
        assert await count_runs(client, f"moota-mutation-{item['mutation_id']}") == 1


async def test_duplicate_ids_inside_one_delivery_count_once(
    receiver: RunningReceiver, inbox_sessions: Sessions
) -> None:
    item = mutation()
    response = await post_signed(receiver.http, body_of(item, item))
    assert response.json() == {"received": 2, "duplicates": 1, "quarantined": 0}
    assert len(await inbox_rows(inbox_sessions)) == 1
