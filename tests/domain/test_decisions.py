from datetime import UTC, datetime, timedelta

import pytest

from mootaflow.domain.decisions import (
    Decision,
    DecisionRequest,
    InvalidDecision,
    expired,
    parse_decision,
    read_request,
    resolve,
)
from mootaflow.domain.matching import FlagReason


def test_approve_defaults_to_the_flagged_order() -> None:
    decision = parse_decision("approve", {"by": " Sari "}, FlagReason.UNDERPAID, "MF-A")
    assert decision == Decision("approve", "Sari", order_ref="MF-A", note="")


def test_chosen_order_wins() -> None:
    decision = parse_decision(
        "approve", {"by": "Sari", "order_ref": "MF-B", "note": "ok"}, FlagReason.OVERPAID, "MF-A"
    )
    assert (decision.order_ref, decision.note) == ("MF-B", "ok")


@pytest.mark.parametrize("reason", [FlagReason.NO_MATCH, FlagReason.AMBIGUOUS])
def test_no_match_and_ambiguous_need_a_chosen_order(reason: FlagReason) -> None:
    with pytest.raises(InvalidDecision, match="needs an order_ref"):
        parse_decision("approve", {"by": "Sari"}, reason, None)
    assert parse_decision("approve", {"by": "S", "order_ref": "MF-C"}, reason, None).order_ref


def test_reject_needs_a_reason() -> None:
    assert parse_decision(
        "reject", {"by": "Sari", "reason": "test"}, FlagReason.NO_MATCH, None
    ) == (Decision("reject", "Sari", note="test"))
    with pytest.raises(InvalidDecision, match="'reason' is required"):
        parse_decision("reject", {"by": "Sari"}, FlagReason.NO_MATCH, None)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (None, "needs a JSON object"),
        ([1], "needs a JSON object"),
        ({}, "'by' is required"),
        ({"by": "  "}, "'by' is required"),
        ({"by": 5}, "'by' must be a string"),
        ({"by": "x" * 501}, "longer than 500"),
    ],
)
def test_garbage_is_refused_with_a_reason(payload: object, message: str) -> None:
    with pytest.raises(InvalidDecision, match=message):
        parse_decision("approve", payload, FlagReason.UNDERPAID, "MF-A")


def test_a_request_is_read_without_knowing_the_payment() -> None:
    request = read_request("approve", {"by": "Sari", "note": " ok "})
    assert request == DecisionRequest("approve", "Sari", None, "ok", None)
    # Checked against the flag later: a no_match payment needs a chosen order.
    with pytest.raises(InvalidDecision, match="needs an order_ref"):
        resolve(request, FlagReason.NO_MATCH, None)
    assert resolve(request, FlagReason.UNDERPAID, "MF-A").order_ref == "MF-A"


def test_expiry_is_a_moment_with_a_time_zone() -> None:
    now = datetime.now(UTC)
    request = read_request("reject", {"by": "Sari", "reason": "x", "expires_at": now.isoformat()})
    assert request.expires_at == now
    assert not expired(request, now)
    assert expired(request, now + timedelta(seconds=1))
    assert not expired(read_request("reject", {"by": "S", "reason": "x"}), now)
    for bad in ("tomorrow", 5, "2026-11-26T10:00:00"):
        with pytest.raises(InvalidDecision, match="expires_at"):
            read_request("reject", {"by": "S", "reason": "x", "expires_at": bad})
