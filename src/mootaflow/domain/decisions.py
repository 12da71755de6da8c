"""Finance decisions on flagged payments, as typed by a person (Web UI, API or CLI).

Signals can be typed by hand in the Temporal Web UI, so the workflow receives
arbitrary JSON; this module turns it into a decision or a readable complaint.
"""

from dataclasses import dataclass
from typing import Any, Literal

from mootaflow.domain.matching import FlagReason

# Without a single obvious order, a person must say which one the money pays.
NEEDS_ORDER = frozenset({FlagReason.NO_MATCH, FlagReason.AMBIGUOUS})
_MAX_TEXT = 500


class InvalidDecision(ValueError):
    """A decision that cannot be applied; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class Decision:
    kind: Literal["approve", "reject"]
    by: str
    order_ref: str | None = None
    note: str = ""  # the approver's note, or the reason for a rejection


def parse_decision(
    kind: Literal["approve", "reject"],
    payload: Any,
    flag: FlagReason,
    flagged_order: str | None,
) -> Decision:
    """Validate a signal payload. Approvals without an order book the flagged one."""
    if not isinstance(payload, dict):
        raise InvalidDecision(f"{kind} needs a JSON object, got {type(payload).__name__}")
    by = _text(payload, "by", required=True)
    if kind == "reject":
        reason = _text(payload, "reason", required=True)
        return Decision("reject", by, note=reason)
    order_ref = _text(payload, "order_ref", required=False) or flagged_order
    if order_ref is None:
        raise InvalidDecision(f"approving a '{flag.value}' payment needs an order_ref")
    if flag in NEEDS_ORDER and not payload.get("order_ref"):
        raise InvalidDecision(f"approving a '{flag.value}' payment needs an order_ref")
    return Decision("approve", by, order_ref=order_ref, note=_text(payload, "note", False))


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
