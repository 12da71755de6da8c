"""Search attributes operators filter on in the Temporal Web UI (see the design)."""

from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)

from mootaflow.domain.money import whole_rupiah
from mootaflow.domain.moota import Mutation
from mootaflow.domain.payments import PaymentStatus
from mootaflow.domain.reconcile import WEBHOOK

MOOTA_MUTATION_ID = SearchAttributeKey.for_keyword("MootaMutationId")
MOOTA_ACCOUNT = SearchAttributeKey.for_keyword("MootaAccount")
ORDER_REF = SearchAttributeKey.for_keyword("OrderRef")
PAYMENT_STATUS = SearchAttributeKey.for_keyword("PaymentStatus")
FLAG_REASON = SearchAttributeKey.for_keyword("FlagReason")
AMOUNT_IDR = SearchAttributeKey.for_int("AmountIdr")
# webhook, or reconcile for a mutation only Moota's API showed (a lost webhook).
MOOTA_SOURCE = SearchAttributeKey.for_keyword("MootaSource")

ALL = (
    MOOTA_MUTATION_ID,
    MOOTA_ACCOUNT,
    ORDER_REF,
    PAYMENT_STATUS,
    FLAG_REASON,
    AMOUNT_IDR,
    MOOTA_SOURCE,
)


def at_start(mutation: Mutation, source: str = WEBHOOK) -> TypedSearchAttributes:
    """Set when the workflow starts, so a payment is findable before a worker runs it."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(MOOTA_MUTATION_ID, mutation.mutation_id),
            SearchAttributePair(MOOTA_ACCOUNT, mutation.account_number),
            SearchAttributePair(AMOUNT_IDR, whole_rupiah(mutation.amount)),
            SearchAttributePair(PAYMENT_STATUS, PaymentStatus.RECEIVED),
            SearchAttributePair(MOOTA_SOURCE, source),
        ]
    )
