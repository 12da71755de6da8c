"""Control endpoints under `/_fake/`: drive the fake from another process.

No token: the fake binds to loopback and these exist for tests and local trials.

- `GET /_fake/state`: banks, notes, tags, refresh calls, webhook counts, faults.
- `POST /_fake/banks`: `FakeBank` fields; answers the bank object.
- `POST /_fake/mutations`: `{"bank_id", "amount", "type"?, "description"?, "note"?,
  "date"?, "push"?, "crawled"?, "count"?}`; answers the mutations made.
- `POST /_fake/crawl/{bank_id}`: Moota's crawler visits now; answers what it found.
- `POST /_fake/faults`: `{"status"?, "count"?, "retry_after"?, "delay"?, "path"?,
  "outage"?}`; `DELETE /_fake/faults` clears them all.
- `POST /_fake/webhook`: `{"url"?, "secret"?, "drop_share"?, "seed"?, "attempts"?,
  "retry_delay"?, "start_unique_code"?, "end_unique_code"?}`.
- `POST /_fake/settle`: waits until the webhook deliveries in flight have finished.
"""

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mootaflow.domain.moota import JAKARTA
from mootaflow.fakemoota.fake import FakeMoota

_BANK_FIELDS = {
    "bank_id",
    "account_number",
    "bank_type",
    "label",
    "atas_nama",
    "username",
    "interval_refresh",
    "is_active",
}
_WEBHOOK_FIELDS = {"url", "secret", "drop_share", "attempts", "retry_delay", "timeout"}
_CODE_FIELDS = {"start_unique_code", "end_unique_code"}


def _problem(detail: str, status: int = 400) -> Response:
    return JSONResponse({"error": "bad_request", "detail": detail}, status_code=status)


async def _object(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}", parse_float=Decimal)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def control_routes(fake: FakeMoota) -> list[Route]:
    async def state(request: Request) -> Response:
        return JSONResponse(fake.snapshot())

    async def add_bank(request: Request) -> Response:
        body = await _object(request)
        unknown = set(body) - _BANK_FIELDS - {"balance"}
        if unknown:
            return _problem(f"unknown fields: {sorted(unknown)}")
        fields = {k: v for k, v in body.items() if k in _BANK_FIELDS}
        if "balance" in body:
            fields["balance"] = Decimal(str(body["balance"]))
        return JSONResponse(fake.add_bank(**fields).as_moota(), status_code=201)

    async def add_mutations(request: Request) -> Response:
        body = await _object(request)
        bank_id = body.get("bank_id")
        if bank_id not in fake.ledger.banks:
            return _problem(f"unknown bank_id {bank_id!r}", 404)
        when = None
        if body.get("date"):
            try:
                parsed = datetime.strptime(str(body["date"]), "%Y-%m-%d %H:%M:%S")
            except ValueError:
                return _problem("date must be 'YYYY-MM-DD HH:MM:SS' (Jakarta time)")
            when = parsed.replace(tzinfo=JAKARTA)
        count = body.get("count", 1)
        if not isinstance(count, int) or not 1 <= count <= 10_000:
            return _problem("count must be 1-10000")
        try:
            items = fake.add_mutations(
                bank_id,
                [body.get("amount", "10000")] * count,
                push=bool(body.get("push", False)),
                mutation_type=body.get("type", "CR"),
                description=body.get("description"),
                note=body.get("note", ""),
                when=when,
                crawled=bool(body.get("crawled", True)),
            )
        except (ValueError, ArithmeticError) as exc:
            return _problem(str(exc))
        return JSONResponse(items, status_code=201)

    async def crawl(request: Request) -> Response:
        bank_id = request.path_params["bank_id"]
        if bank_id not in fake.ledger.banks:
            return _problem(f"unknown bank_id {bank_id!r}", 404)
        return JSONResponse(fake.crawl(bank_id))

    async def set_faults(request: Request) -> Response:
        body = await _object(request)
        status, delay = body.get("status"), float(body.get("delay", 0))
        path, retry_after = body.get("path"), body.get("retry_after")
        if body.get("outage"):
            fake.faults.outage(int(status or 503), retry_after=retry_after, path=path)
        elif status is not None:
            fake.faults.fail_next(
                int(status),
                count=int(body.get("count", 1)),
                retry_after=retry_after,
                path=path,
                delay=delay,
            )
        elif delay > 0:
            fake.faults.slow_next(delay, count=int(body.get("count", 1)), path=path)
        else:
            return _problem("give status (with count, retry_after, delay) or delay, or outage")
        return JSONResponse(
            {"queued": len(fake.faults.queued), "outage": body.get("outage", False)}
        )

    async def clear_faults(request: Request) -> Response:
        fake.faults.clear()
        return JSONResponse({"queued": 0, "outage": False})

    async def configure_webhook(request: Request) -> Response:
        body = await _object(request)
        unknown = set(body) - _WEBHOOK_FIELDS - _CODE_FIELDS - {"seed"}
        if unknown:
            return _problem(f"unknown fields: {sorted(unknown)}")
        hooks = fake.webhooks
        if "drop_share" in body and not 0 <= float(body["drop_share"]) <= 1:
            return _problem("drop_share must be 0-1")
        for name in _WEBHOOK_FIELDS & set(body):
            value = body[name]
            setattr(hooks, name, float(value) if isinstance(value, Decimal) else value)
        for name in _CODE_FIELDS & set(body):
            setattr(hooks, name, int(body[name]))
        if "seed" in body:
            hooks.seed(int(body["seed"]))
        return JSONResponse(fake.snapshot()["webhooks"])

    async def settle(request: Request) -> Response:
        await fake.webhooks.settle()
        return JSONResponse(fake.snapshot()["webhooks"])

    return [
        Route("/_fake/state", state, methods=["GET"]),
        Route("/_fake/banks", add_bank, methods=["POST"]),
        Route("/_fake/mutations", add_mutations, methods=["POST"]),
        Route("/_fake/crawl/{bank_id}", crawl, methods=["POST"]),
        Route("/_fake/faults", set_faults, methods=["POST"]),
        Route("/_fake/faults", clear_faults, methods=["DELETE"]),
        Route("/_fake/webhook", configure_webhook, methods=["POST"]),
        Route("/_fake/settle", settle, methods=["POST"]),
    ]
