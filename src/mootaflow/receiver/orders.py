"""Merchant API: POST /api/orders, GET /api/orders/{ref}."""

from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mootaflow.domain.orders import NewOrder, NoUniqueCodeLeft, describe_errors
from mootaflow.domain.settings import Settings
from mootaflow.receiver.auth import require_api_key
from mootaflow.receiver.errors import ApiError, json_object
from mootaflow.receiver.state import app_state
from mootaflow.receiver.views import order_view
from mootaflow.store import orders
from mootaflow.store.db import Sessions
from mootaflow.store.invoices import invoice_for_mutation
from mootaflow.store.payments import get_payment


async def create_order(request: Request) -> Response:
    if (refused := require_api_key(request)) is not None:
        return refused
    try:
        data = await json_object(request)
        try:
            new = NewOrder.model_validate(data)
        except ValidationError as exc:
            raise ApiError(422, "invalid_order", describe_errors(exc)) from None
        order, created = await place_order(
            app_state(request)["sessions"], app_state(request)["settings"], new
        )
    except ApiError as error:
        return error.response()
    return JSONResponse(order, status_code=201 if created else 200)


async def place_order(
    sessions: Sessions, settings: Settings, new: NewOrder
) -> tuple[dict[str, object], bool]:
    """Create (or find the identical) order; ApiError for conflicts. Shared with the CLI."""
    try:
        async with sessions.begin() as session:
            order, created = await orders.create_order(
                session,
                new,
                codes=orders.CodeRange(settings.unique_code_min, settings.unique_code_max),
                default_expiry=timedelta(minutes=settings.order_expiry_minutes),
                now=datetime.now(UTC),
                amount_reuse=timedelta(days=settings.amount_reuse_days),
            )
    except orders.MerchantRefConflict as exc:
        raise ApiError(409, "merchant_ref_conflict", str(exc)) from None
    except NoUniqueCodeLeft as exc:
        raise ApiError(409, "no_unique_code_left", str(exc)) from None
    except IntegrityError:
        raise ApiError(503, "busy", "could not allocate a unique code; retry") from None
    return order_view(order, None, None), created


async def show_order(request: Request) -> Response:
    if (refused := require_api_key(request)) is not None:
        return refused
    ref = request.path_params["ref"]
    view = await find_order(app_state(request)["sessions"], ref)
    if view is None:
        return ApiError(404, "not_found", f"no order {ref}").response()
    return JSONResponse(view)


async def find_order(sessions: Sessions, ref: str) -> dict[str, object] | None:
    """The order with its payment and invoice, expiry applied. Shared with the CLI."""
    async with sessions.begin() as session:
        await orders.expire_overdue(session, datetime.now(UTC))
        order = await orders.get_order(session, ref)
        if order is None:
            return None
        payment = invoice = None
        if order.paid_by_mutation_id:
            payment = await get_payment(session, order.paid_by_mutation_id)
            invoice = await invoice_for_mutation(session, order.paid_by_mutation_id)
    return order_view(order, payment, invoice)
