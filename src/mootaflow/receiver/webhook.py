"""POST /webhooks/moota: verify, persist, acknowledge. Temporal is never on this path.

Checks run in a fixed order, cheapest and least trusting first: source address,
size, content type, signature, then JSON shape. Every refusal is a small JSON
body saying what was wrong, and is recorded as an audit row.
"""

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from mootaflow.domain import signature
from mootaflow.domain.moota import DeliveryError, load_delivery, parse_delivery
from mootaflow.domain.settings import Settings
from mootaflow.receiver import metrics
from mootaflow.receiver.client_ip import client_ip, in_networks
from mootaflow.receiver.state import app_state
from mootaflow.store import inbox
from mootaflow.store.db import Sessions

log = logging.getLogger("mootaflow.receiver")


@dataclass
class Refusal(Exception):
    status_code: int
    verdict: str
    detail: str


async def moota_webhook(request: Request) -> Response:
    state = app_state(request)
    settings, writer, starts = state["settings"], state["inbox_writer"], state["starts"]
    sessions = state["databases"].inbox
    began = time.perf_counter()
    facts = inbox.RequestFacts(
        received_at=datetime.now(UTC),
        source_ip=client_ip(request, settings.trusted_proxy_networks),
        headers=dict(request.headers),
        body_bytes=None,
        body_sha256=None,
    )
    try:
        body = await _verified_body(request, settings, facts)
        try:
            items = load_delivery(body)
        except DeliveryError as exc:
            raise Refusal(400, "bad_payload", str(exc)) from None
    except Refusal as refusal:
        return await _refuse(sessions, facts, refusal)

    parsed = parse_delivery(items)
    try:
        saved = await writer.save(inbox.Incoming(facts, parsed, items))
    except (SQLAlchemyError, OSError) as exc:
        # Not acknowledged, so Moota re-sends: nothing is lost.
        log.error("could not persist delivery", extra={"error": f"{type(exc).__name__}: {exc}"})
        metrics.DELIVERIES.labels("unavailable").inc()
        return JSONResponse(
            {"error": "unavailable", "detail": "storage unavailable, retry later"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    # After the commit and before the reply: only queues work, never waits on Temporal.
    starts.submit(saved.new)

    quarantined = len(parsed.quarantined)
    metrics.DELIVERIES.labels("accepted").inc()
    metrics.MUTATIONS.labels("new").inc(len(saved.new))
    metrics.MUTATIONS.labels("duplicate").inc(saved.duplicates)
    metrics.MUTATIONS.labels("quarantined").inc(quarantined)
    metrics.ACK_SECONDS.observe(time.perf_counter() - began)
    log.info(
        "delivery accepted",
        extra={
            "delivery_id": saved.delivery_id,
            "source_ip": facts.source_ip,
            "received": parsed.size,
            "new": len(saved.new),
            "duplicates": saved.duplicates,
            "quarantined": quarantined,
            "mutation_ids": [m.mutation_id for m in saved.new][:100],
        },
    )
    return JSONResponse(
        {"received": parsed.size, "duplicates": saved.duplicates, "quarantined": quarantined}
    )


async def _verified_body(request: Request, settings: Settings, facts: inbox.RequestFacts) -> bytes:
    source_ip = facts.source_ip
    if settings.allowed_ips and not in_networks(source_ip, settings.allowed_networks):
        raise Refusal(403, "forbidden_source", f"source address {source_ip} is not allowed")

    limit = settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise Refusal(413, "too_large", f"body larger than the limit of {limit} bytes")
    body = await _read_body(request, limit, settings.body_timeout_seconds)
    facts.body_bytes = len(body)
    facts.body_sha256 = hashlib.sha256(body).hexdigest()

    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        shown = media_type or "none"
        raise Refusal(
            415, "unsupported_media_type", f"content type must be application/json, got {shown}"
        )

    provided = request.headers.get(signature.SIGNATURE_HEADER)
    if not provided:
        raise Refusal(401, "missing_signature", "Signature header is missing")
    if not signature.verify(body, provided, settings.effective_webhook_secrets):
        raise Refusal(401, "bad_signature", "Signature does not match the body")
    return body


async def _read_body(request: Request, limit: int, seconds: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise Refusal(413, "too_large", f"body larger than the limit of {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise Refusal(408, "body_timeout", f"body not received within {seconds:g} s") from None
    except ClientDisconnect:
        raise Refusal(400, "client_disconnected", "client disconnected before the body") from None
    return b"".join(chunks)


async def _refuse(sessions: Sessions, facts: inbox.RequestFacts, refusal: Refusal) -> Response:
    metrics.DELIVERIES.labels(refusal.verdict).inc()
    log.warning(
        "delivery refused",
        extra={
            "source_ip": facts.source_ip,
            "verdict": refusal.verdict,
            "status": refusal.status_code,
            "detail": refusal.detail,
        },
    )
    try:
        async with sessions.begin() as session:
            await inbox.save_rejected(
                session, facts, refusal.verdict, refusal.status_code, refusal.detail
            )
    except (SQLAlchemyError, OSError) as exc:
        log.error("could not record refused delivery", extra={"error": str(exc)})
    return JSONResponse(
        {"error": refusal.verdict, "detail": refusal.detail}, status_code=refusal.status_code
    )
