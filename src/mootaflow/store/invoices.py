"""Invoice numbers: sequential and gap-free per month, issued once per payment."""

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from mootaflow.domain.moota import JAKARTA
from mootaflow.store.db import built_once, table_of
from mootaflow.store.tables import Invoice, InvoiceCounter


def invoice_number(month: str, sequence: int) -> str:
    return f"INV-{month}-{sequence:05d}"


# The month's first number, or the next one: one statement, which locks the row.
_NEXT_NUMBER = built_once(
    lambda insert: (
        insert(table_of(InvoiceCounter))
        .on_conflict_do_update(
            index_elements=["month"], set_={"last_number": col(InvoiceCounter.last_number) + 1}
        )
        .returning(col(InvoiceCounter.last_number))
    )
)
# Built once, the value bound at execution (see store.db.built_once).
_OF_MUTATION = select(Invoice).where(col(Invoice.mutation_id) == bindparam("mutation_id"))
_OF_ORDER = select(Invoice).where(col(Invoice.order_ref) == bindparam("order_ref"))


def issue_invoice(session: Session, mutation_id: str, order_ref: str, paid_at: datetime) -> Invoice:
    """The order's invoice, allocating the next number of its month if it has none.

    Counter bump and invoice row share one transaction: a failure rolls both
    back, so numbers never skip; the unique order reference makes a retry return
    the invoice already issued. `mutation_id` is the transfer that completed it.
    """
    existing = invoice_for_order(session, order_ref)
    if existing is not None:
        return existing
    month = paid_at.astimezone(JAKARTA).strftime("%Y%m")
    bumped = session.execute(_NEXT_NUMBER(session), {"month": month, "last_number": 1})
    invoice = Invoice(
        number=invoice_number(month, bumped.scalar_one()),
        mutation_id=mutation_id,
        order_ref=order_ref,
        issued_at=paid_at,
    )
    session.add(invoice)
    return invoice


async def get_invoice(session: AsyncSession, number: str) -> Invoice | None:
    return await session.get(Invoice, number)


async def invoice_for_mutation(session: AsyncSession, mutation_id: str) -> Invoice | None:
    return await session.run_sync(invoice_of_mutation, mutation_id)


def invoice_of_mutation(session: Session, mutation_id: str) -> Invoice | None:
    return session.scalars(_OF_MUTATION, {"mutation_id": mutation_id}).first()


def invoice_for_order(session: Session, order_ref: str) -> Invoice | None:
    return session.scalars(_OF_ORDER, {"order_ref": order_ref}).first()
