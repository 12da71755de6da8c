"""The fake's Moota API v2 routes: what `MootaClient` (and any other client) talks to.

Every route goes through `_guarded`: queued faults first (as a proxy or an
overloaded Moota answers before any auth), then the Bearer token (401
`{"error": "Unauthenticated."}`), then the handler. Answers are PHP-style JSON
in Moota's shapes; validation errors are Laravel's 422 object.
"""

import json
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mootaflow.domain.moota import JAKARTA
from mootaflow.fakemoota.fake import FakeMoota, RequestRecord
from mootaflow.fakemoota.laravel import PhpJSONResponse, laravel_page

Handler = Callable[[FakeMoota, Request], Awaitable[Response]]

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_BANK_PAGE = 20  # GET /bank pages by 20 in Moota's own examples
_MUTATION_PAGE = 15


class Invalid(Exception):
    """Laravel validation failed: answered 422 with the field errors."""

    def __init__(self, **errors: str) -> None:
        super().__init__("The given data was invalid.")
        self.errors = {name: [text] for name, text in errors.items()}


def _json(content: Any, status: int = 200) -> Response:
    return PhpJSONResponse(content, status_code=status)


def _not_found(message: str = "Data tidak ditemukan") -> Response:
    return _json({"error": True, "message": message}, 404)


def _guarded(fake: FakeMoota, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        path = request.url.path.removeprefix("/api/v2")
        response = await fake.faults.apply(path)
        if response is None:
            if not fake.authorised(request.headers.get("Authorization")):
                response = _json({"error": "Unauthenticated."}, 401)
            else:
                try:
                    response = await handler(fake, request)
                except Invalid as exc:
                    response = _json({"message": str(exc), "errors": exc.errors}, 422)
        fake.requests.append(
            RequestRecord(request.method, path, request.url.query, response.status_code)
        )
        return response

    return endpoint


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw, parse_float=Decimal)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _positive(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or int(value) < 1:
        raise Invalid(**{name: f"Kolom {name} harus berupa angka minimal 1."})
    return int(value)


def _day(value: str | None, name: str) -> str | None:
    if not value:
        return None
    if not _DAY.fullmatch(value):
        raise Invalid(**{name: f"Kolom {name} tidak cocok dengan format Y-m-d."})
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise Invalid(**{name: f"Kolom {name} bukan tanggal yang valid."}) from None
    return value


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/api/v2"


# --- banks


async def list_banks(fake: FakeMoota, request: Request) -> Response:
    page = _positive(request.query_params.get("page"), "page", 1)
    items = [bank.as_moota() for bank in fake.banks]
    return _json(laravel_page(items, page=page, per_page=_BANK_PAGE, path=_base(request) + "/bank"))


async def refresh_bank(fake: FakeMoota, request: Request) -> Response:
    bank_id = request.path_params["bank_id"]
    if bank_id not in fake.ledger.banks:
        return _not_found("Bank tidak ditemukan.")
    fake.refresh(bank_id)
    return _json({"error": False, "message": "Mutasi sedang diperbarui"})


# --- mutations


async def list_mutations(fake: FakeMoota, request: Request) -> Response:
    query = request.query_params
    page = _positive(query.get("page"), "page", 1)
    per_page = _positive(query.get("per_page"), "per_page", _MUTATION_PAGE)
    start = _day(query.get("start_date"), "start_date")
    end = _day(query.get("end_date"), "end_date")
    if start and end and end < start:
        raise Invalid(
            end_date="Kolom end date harus berisi tanggal setelah atau sama dengan start date."
        )
    kind = query.get("type") or None
    if kind is not None and kind not in ("CR", "DB"):
        raise Invalid(type="Kolom type yang dipilih tidak valid.")
    bank_id = query.get("bank") or None
    if bank_id is not None and bank_id not in fake.ledger.banks:
        return _json({"message": "Bank tidak ditemukan."}, 404)
    amount = None
    if query.get("amount"):
        try:
            amount = Decimal(query["amount"])
        except InvalidOperation:
            raise Invalid(amount="Kolom amount harus berupa angka.") from None
    tags = {t for t in (query.get("tag") or "").split(",") if t} or None
    items = fake.ledger.listing(
        bank_id=bank_id, mutation_type=kind, start=start, end=end, amount=amount, tags=tags
    )
    path = _base(request) + "/mutation"
    return _json(laravel_page(items, page=page, per_page=per_page, path=path))


async def store_mutation(fake: FakeMoota, request: Request) -> Response:
    bank_id = request.path_params["bank_id"]
    if bank_id not in fake.ledger.banks:
        return _json({"message": "Bank tidak ditemukan."}, 404)
    body = await _body(request)
    if body.get("type") not in ("CR", "DB"):
        raise Invalid(type="Kolom type harus diisi.")
    try:
        amount = Decimal(str(body.get("amount")))
        if not amount.is_finite() or amount <= 0:
            raise InvalidOperation
    except InvalidOperation:
        raise Invalid(amount="Kolom amount harus berupa angka lebih dari 0.") from None
    when = None
    if body.get("date"):
        try:
            when = datetime.strptime(str(body["date"]), "%Y-%m-%d %H:%M:%S").replace(tzinfo=JAKARTA)
        except ValueError:
            raise Invalid(date="Kolom date tidak cocok dengan format Y-m-d H:i:s.") from None
    note = body.get("note")
    fake.add_mutation(
        bank_id,
        amount,
        mutation_type=body["type"],
        note=note if isinstance(note, str) else "",
        when=when,
        push=True,
    )
    return _json({"error": False, "mutation": {"total": 1, "new": 1}})


async def set_note(fake: FakeMoota, request: Request) -> Response:
    mutation_id = request.path_params["mutation_id"]
    if mutation_id not in fake.ledger.mutations:
        return _not_found()
    note = (await _body(request)).get("note")
    if not isinstance(note, str):
        raise Invalid(note="Kolom note harus diisi.")
    if len(note) > 255:
        raise Invalid(note="Kolom note maksimal berisi 255 karakter.")
    item = fake.ledger.set_note(mutation_id, note)
    return _json({"status": True, "mutation": item})


async def push_webhook(fake: FakeMoota, request: Request) -> Response:
    mutation_id = request.path_params["mutation_id"]
    if mutation_id not in fake.ledger.mutations:
        return _not_found()
    fake.push_again(mutation_id)
    return _json({"status": "OK"})


# --- tags


async def list_tags(fake: FakeMoota, request: Request) -> Response:
    wanted = {t for t in (request.query_params.get("tag") or "").split(",") if t}
    tags = [t.as_moota() for t in fake.ledger.tags.values() if not wanted or t.name in wanted]
    return _json({"error": False, "tagging": tags})


async def create_tag(fake: FakeMoota, request: Request) -> Response:
    name = (await _body(request)).get("name")
    if not isinstance(name, str) or not name.strip():
        raise Invalid(name="Kolom name harus diisi.")
    if name in fake.ledger.tags:
        raise Invalid(name="Name sudah ada sebelumnya.")
    return _json({"error": False, "tagging": fake.ledger.create_tag(name).as_moota()})


async def tag_mutation(fake: FakeMoota, request: Request) -> Response:
    """POST attaches, PUT replaces, DELETE detaches; body `{"name": [tag names]}`."""
    mutation_id = request.path_params["mutation_id"]
    if mutation_id not in fake.ledger.mutations:
        return _not_found()
    names = (await _body(request)).get("name")
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise Invalid(name="Kolom name harus diisi.")
    unknown = [n for n in names if n not in fake.ledger.tags]
    if unknown:
        raise Invalid(name=f"Tag {', '.join(unknown)} tidak ditemukan.")
    current = fake.tags_of(mutation_id)
    if request.method == "POST":
        wanted = current + names
    elif request.method == "PUT":
        wanted = list(names)
    else:
        wanted = [n for n in current if n not in names]
    fake.ledger.set_taggings(mutation_id, wanted)
    return _json({"error": False, "message": "Tagging berhasil diperbarui"})


def api_routes(fake: FakeMoota) -> list[Route]:
    def route(path: str, handler: Handler, methods: list[str]) -> Route:
        return Route("/api/v2" + path, _guarded(fake, handler), methods=methods)

    return [
        route("/bank", list_banks, ["GET"]),
        route("/bank/{bank_id}/refresh", refresh_bank, ["POST"]),
        route("/mutation", list_mutations, ["GET"]),
        route("/mutation/store/{bank_id}", store_mutation, ["POST"]),
        route("/mutation/{mutation_id}/note", set_note, ["POST"]),
        route("/mutation/{mutation_id}/webhook", push_webhook, ["POST"]),
        route("/tagging", list_tags, ["GET"]),
        route("/tagging", create_tag, ["POST"]),
        route("/tagging/mutation/{mutation_id}", tag_mutation, ["POST", "PUT", "DELETE"]),
    ]
