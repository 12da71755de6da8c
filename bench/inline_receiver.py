"""The anti-pattern bench/inline measures: a receiver that does all of a payment's work
inside the request (record, match, mark paid, invoice PDF, customer email) before it
answers. It runs mootaflow's own activity code, unchanged, in an activity context
without Temporal, so the work per payment is the same as the worker's.

Run: python -m bench.inline_receiver PORT   (settings from MOOTAFLOW_* variables)
GET /inflight says how many requests are still being processed (also after their client
gave up), so the benchmark can wait for the backlog to clear between phases."""

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.testing import ActivityEnvironment

from mootaflow.activities.contracts import BookInput
from mootaflow.activities.notify import NotifyActivities
from mootaflow.activities.payment import PaymentActivities
from mootaflow.domain.moota import DeliveryError, Mutation, load_delivery, parse_delivery
from mootaflow.domain.settings import load_settings
from mootaflow.domain.signature import verify
from mootaflow.store.databases import open_databases

SETTINGS = load_settings()


class Inline:
    def __init__(self, payment: PaymentActivities, notify: NotifyActivities) -> None:
        self.payment = payment
        self.notify = notify
        self.in_flight = 0

    async def process(self, mutation: Mutation) -> str:
        """What PaymentWorkflow's happy path does, one step after the other."""
        env = ActivityEnvironment()
        await env.run(self.payment.record_mutation, mutation)
        outcome = await env.run(self.payment.match_order, mutation)
        if outcome.kind != "matched" or outcome.order_ref is None:
            return outcome.kind
        booked = await env.run(
            self.payment.mark_paid, BookInput(mutation.mutation_id, outcome.order_ref)
        )
        if not booked.paid:
            return "already_paid"
        await env.run(self.payment.generate_invoice, mutation.mutation_id)
        sent = await env.run(self.notify.notify_customer, mutation.mutation_id)
        return sent.status


async def webhook(request: Request) -> Response:
    inline: Inline = request.app.state.inline
    inline.in_flight += 1
    try:
        body = await request.body()
        if not verify(body, request.headers.get("Signature"), SETTINGS.effective_webhook_secrets):
            return JSONResponse({"error": "bad_signature"}, status_code=401)
        try:
            parsed = parse_delivery(load_delivery(body))
        except DeliveryError as exc:
            return JSONResponse({"error": "bad_payload", "detail": str(exc)}, status_code=400)
        outcomes = [await inline.process(item.mutation) for item in parsed.accepted]
        return JSONResponse({"received": parsed.size, "outcomes": outcomes})
    finally:
        inline.in_flight -= 1


async def in_flight(request: Request) -> Response:
    return JSONResponse({"in_flight": request.app.state.inline.in_flight})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    async with open_databases(SETTINGS) as databases, httpx.AsyncClient() as http:
        app.state.inline = Inline(
            # The anti-pattern keeps no inbox: the main database stands in for it.
            PaymentActivities(databases.calls, SETTINGS, databases.sessions),
            NotifyActivities(databases.calls, SETTINGS, http),
        )
        yield


app = Starlette(
    routes=[
        Route("/webhooks/moota", webhook, methods=["POST"]),
        Route("/inflight", in_flight),
    ],
    lifespan=lifespan,
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
