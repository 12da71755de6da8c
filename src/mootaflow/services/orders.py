"""Orders: create one with its unique code, find one with its payment and invoice."""

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from mootaflow.domain.errors import Conflict, Invalid, NotFound, Unavailable
from mootaflow.domain.orders import NewOrder, NoUniqueCodeLeft, describe_errors
from mootaflow.domain.settings import Settings
from mootaflow.services.views import order_view
from mootaflow.store import orders
from mootaflow.store.db import Sessions
from mootaflow.store.invoices import invoice_for_mutation
from mootaflow.store.payments import get_payment


def new_order(data: dict[str, Any]) -> NewOrder:
    """The order a request asks for; Invalid naming each bad field."""
    try:
        return NewOrder.model_validate(data)
    except ValidationError as exc:
        raise Invalid("invalid_order", describe_errors(exc)) from None


async def place_order(
    sessions: Sessions, settings: Settings, new: NewOrder
) -> tuple[dict[str, Any], bool]:
    """Create (or find the identical) order: (the order, whether it is new)."""
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
        raise Conflict("merchant_ref_conflict", str(exc)) from None
    except NoUniqueCodeLeft as exc:
        raise Conflict("no_unique_code_left", str(exc)) from None
    except IntegrityError:
        raise Unavailable(
            "busy", "could not allocate a unique code; retry", retry_after=1
        ) from None
    return order_view(order, None, None), created


async def find_order(sessions: Sessions, ref: str) -> dict[str, Any]:
    """The order with its payment and invoice, expiry applied; NotFound."""
    async with sessions.begin() as session:
        await orders.expire_overdue(session, datetime.now(UTC))
        order = await session.run_sync(orders.get_order, ref)
        if order is None:
            raise NotFound("not_found", f"no order {ref}")
        payment = invoice = None
        if order.paid_by_mutation_id:
            payment = await get_payment(session, order.paid_by_mutation_id)
            invoice = await invoice_for_mutation(session, order.paid_by_mutation_id)
    return order_view(order, payment, invoice)
