"""Finance decisions on flagged payments: what a person asked, and what came of it.

Decisions arrive as Workflow Updates (the API, the CLI, the Web UI) or signals
(typed by hand in the Web UI), so the workflow receives arbitrary JSON. This
module turns it into a request or a readable complaint, checks a request against
the payment's flag, and names every way a decision can be refused: the workflow,
the API and the CLI share one vocabulary.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, Literal

from mootaflow.domain.allocations import Difference, DoesNotAddUp, Line, check_lines
from mootaflow.domain.matching import FlagReason
from mootaflow.domain.money import AmountError, parse_amount
from mootaflow.domain.payments import PaymentStatus

Kind = Literal["approve", "reject"]

# Without a single obvious order, a person must say which one the money pays.
NEEDS_ORDER = frozenset({FlagReason.NO_MATCH, FlagReason.AMBIGUOUS})
_MAX_TEXT = 500
# More orders than this in one transfer is a bulk payment, not a decision.
MAX_ALLOCATIONS = 50

# Why a decision was not applied. Also the `type` of the ApplicationError a
# workflow's update validator raises, so a caller reads one code either way.
INVALID: Final = "invalid_decision"
EXPIRED: Final = "decision_expired"
ALREADY_DECIDED: Final = "already_decided"
NOT_AWAITING: Final = "not_awaiting_decision"
UNKNOWN_ORDER: Final = "unknown_order"
ORDER_ALREADY_PAID: Final = "order_already_paid"
BOOKING_FAILED: Final = "booking_failed"
# The amounts do not fit the transfer or the orders (the detail names the numbers).
DOES_NOT_ADD_UP: Final = "does_not_add_up"
REFUSALS = frozenset(
    {INVALID, EXPIRED, ALREADY_DECIDED, NOT_AWAITING, UNKNOWN_ORDER, ORDER_ALREADY_PAID}
    | {BOOKING_FAILED, DOES_NOT_ADD_UP}
)

# Statuses in which a payment takes a decision. `unresolved` is one: nobody
# decided in time, but the money did arrive and still needs one.
DECIDABLE = frozenset({PaymentStatus.AWAITING_APPROVAL, PaymentStatus.UNRESOLVED})


class InvalidDecision(ValueError):
    """A decision that cannot be applied; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class Decision:
    """A decision checked against the payment's flag: what the workflow applies."""

    kind: Kind
    by: str
    order_ref: str | None = None
    note: str = ""  # the approver's note, or the reason for a rejection
    # Approvals: what happens to a difference, and the orders the money goes to
    # (empty: all of it to order_ref).
    difference: Difference | None = None
    allocations: tuple[Line, ...] = ()

    def lines(self) -> list[Line]:
        if self.allocations:
            return list(self.allocations)
        return [Line(self.order_ref)] if self.order_ref else []


@dataclass(frozen=True)
class DecisionRequest:
    """What a person asked, before it is checked against the payment's flag."""

    kind: Kind
    by: str
    order_ref: str | None = None
    note: str = ""  # the approver's note, or the reason for a rejection
    # Set by mootaflow's API and CLI: after this moment the caller has given up
    # waiting (and answered 503), so the workflow must refuse it rather than
    # apply a decision its sender believes was not taken.
    expires_at: datetime | None = None
    difference: Difference | None = None
    allocations: tuple[Line, ...] = ()


@dataclass(frozen=True)
class DecisionOutcome:
    """What became of one decision; the answer an Update returns."""

    result: Literal["booked", "rejected", "refused"]
    kind: Kind
    by: str
    status: str  # the payment's status once this decision was handled
    order_ref: str | None = None
    invoice_number: str | None = None
    refusal: str | None = None  # one of REFUSALS when refused
    detail: str = ""
    decided_by: str | None = None  # who decided, when refused as already decided


def read_request(kind: Kind, payload: Any) -> DecisionRequest:
    """Validate an update or signal payload's shape (no knowledge of the payment needed).

    approve {"by": "Sari", "order_ref": "MF-...", "note": "...",
             "difference": "accept|partial|refund",
             "allocations": [{"order_ref": "MF-...", "amount": "50000"}, ...]}
    reject  {"by": "Sari", "reason": "personal transfer"}
    """
    if not isinstance(payload, dict):
        raise InvalidDecision(f"{kind} needs a JSON object, got {type(payload).__name__}")
    by = _text(payload, "by", required=True)
    expires_at = _moment(payload, "expires_at")
    if kind == "reject":
        reason = _text(payload, "reason", required=True)
        return DecisionRequest("reject", by, note=reason, expires_at=expires_at)
    order_ref = _text(payload, "order_ref", required=False) or None
    note = _text(payload, "note", required=False)
    difference = _difference(payload.get("difference"))
    allocations = _allocations(payload.get("allocations"))
    if allocations and order_ref is not None and order_ref != allocations[0].order_ref:
        raise InvalidDecision("give either 'order_ref' or 'allocations', not both")
    return DecisionRequest(
        "approve", by, order_ref, note, expires_at, difference, tuple(allocations)
    )


def check_amounts(request: DecisionRequest, transfer: Decimal) -> None:
    """The Update validator's sums: what can be refused knowing only the transfer."""
    try:
        check_lines(transfer, request.allocations)
    except DoesNotAddUp as exc:
        raise InvalidDecision(str(exc)) from None


def _difference(value: object) -> Difference | None:
    if value is None or value == "":
        return None
    choices = ", ".join(d.value for d in Difference)
    if not isinstance(value, str) or value not in Difference.__members__.values():
        raise InvalidDecision(f"'difference' must be one of {choices}")
    return Difference(value)


def _allocations(value: object) -> list[Line]:
    if value is None:
        return []
    if not isinstance(value, list) or not value:
        raise InvalidDecision("'allocations' must be a non-empty list of {order_ref, amount}")
    if len(value) > MAX_ALLOCATIONS:
        raise InvalidDecision(f"'allocations' may name at most {MAX_ALLOCATIONS} orders")
    lines = []
    for n, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise InvalidDecision(f"allocation {n} must be an object {{order_ref, amount}}")
        ref = _text(item, "order_ref", required=True)
        amount = None
        if item.get("amount") not in (None, ""):
            try:
                amount = parse_amount(item["amount"])
            except AmountError as exc:
                raise InvalidDecision(f"allocation {n} ({ref}): {exc}") from None
        lines.append(Line(ref, amount))
    refs = [line.order_ref for line in lines]
    if len(set(refs)) != len(refs):
        raise InvalidDecision("an order appears twice in 'allocations'")
    return lines


def resolve(request: DecisionRequest, flag: FlagReason, flagged_order: str | None) -> Decision:
    """The decision a request makes on a payment flagged `flag`.

    Approvals without a chosen order book the flagged one, where there is one.
    """
    if request.kind == "reject":
        return Decision("reject", request.by, note=request.note)
    if request.allocations:
        first = request.allocations[0].order_ref
        return Decision(
            "approve", request.by, first, request.note, request.difference, request.allocations
        )
    order_ref = request.order_ref or flagged_order
    if order_ref is None or (flag in NEEDS_ORDER and request.order_ref is None):
        raise InvalidDecision(f"approving a '{flag.value}' payment needs an order_ref")
    return Decision(
        "approve", request.by, order_ref=order_ref, note=request.note, difference=request.difference
    )


def parse_decision(
    kind: Kind, payload: Any, flag: FlagReason, flagged_order: str | None
) -> Decision:
    """Shape and flag checks in one go."""
    return resolve(read_request(kind, payload), flag, flagged_order)


def expired(request: DecisionRequest, now: datetime) -> bool:
    return request.expires_at is not None and now > request.expires_at


def _text(payload: dict[str, Any], name: str, required: bool) -> str:
    value = payload.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidDecision(f"'{name}' is required")
        return ""
    if not isinstance(value, str):
        raise InvalidDecision(f"'{name}' must be a string")
    if len(value) > _MAX_TEXT:
        raise InvalidDecision(f"'{name}' is longer than {_MAX_TEXT} characters")
    if any(ord(c) < 32 and c not in "\t\n" for c in value):
        raise InvalidDecision(f"'{name}' contains control characters")
    return value.strip()


def _moment(payload: dict[str, Any], name: str) -> datetime | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidDecision(f"'{name}' must be an ISO 8601 date and time") from None
    else:
        raise InvalidDecision(f"'{name}' must be an ISO 8601 date and time")
    if moment.tzinfo is None:
        raise InvalidDecision(f"'{name}' needs a time zone")
    return moment
