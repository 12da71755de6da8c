"""Pure parts of the service layer and the console: paging cursors, parameters,
the timeline's order, ages and dates in both languages."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from mootaflow.domain.errors import BadRequest
from mootaflow.domain.paging import Key, PageRequest, decode_cursor, encode_cursor, page_of
from mootaflow.receiver.console.i18n import Words
from mootaflow.services import params
from mootaflow.services.timeline import timeline
from mootaflow.store.tables import DecisionRecord, Invoice, Notification, Payment

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def test_cursors_round_trip_and_refuse_forgeries() -> None:
    key = Key(T0, "m-1")
    assert decode_cursor(encode_cursor(key)) == key
    for bad in ("x", "e30", "W10", "WyJub3QgYSBkYXRlIiwgImEiXQ", "!" * 10):
        with pytest.raises(BadRequest) as refused:
            decode_cursor(bad)
        assert refused.value.code == "bad_cursor"
    page = page_of([1, 2, 3], 2, lambda n: Key(T0, str(n)))
    assert (page.items, page.has_more, page.next) == ([1, 2], True, Key(T0, "2"))
    assert page_of([1], 2, lambda n: Key(T0, str(n))).cursor is None
    assert PageRequest.of({}).limit == 50


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("150123", Decimal(150123)),
        ("150.123", Decimal(150123)),
        ("Rp 150.123", Decimal(150123)),
        ("150123.00", Decimal(150123)),
        ("1.500,50", Decimal("1500.50")),
    ],
)
def test_amounts_as_people_type_them(typed: str, amount: Decimal) -> None:
    assert params.amount(typed) == amount


def test_days_are_jakarta_days() -> None:
    span = params.required_days("2026-11-26", "2026-11-27")
    assert span.since == datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    assert span.before == datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    assert params.days("2026-11-26", None) == params.Days(date(2026, 11, 26), date(2026, 11, 26))
    with pytest.raises(BadRequest):
        params.required_days("2026-11-27", "2026-11-26")
    with pytest.raises(BadRequest):
        params.required_days("2026-01-01", "2026-12-31", max_days=92)
    assert params.status("all", "paid") == ()
    with pytest.raises(BadRequest):
        params.text("\x00", "account")


def _payment(**values: object) -> Payment:
    base: dict[str, object] = {
        "mutation_id": "m1",
        "workflow_id": "moota-mutation-m1",
        "account_number": "1",
        "type": "CR",
        "amount": Decimal(1000),
        "mutation_date": T0,
        "description": "TRSF",
        "note": "",
        "status": "paid",
        "candidates": "[]",
        "recorded_at": T0,
        "updated_at": T0,
    }
    base.update(values)
    return Payment.model_validate(base)


def test_the_timeline_tells_the_story_in_order() -> None:
    paid_at = T0 + timedelta(minutes=5)
    payment = _payment(paid_at=paid_at, order_ref="MF-1", flag_reason=None)
    decision = DecisionRecord(
        mutation_id="m1",
        kind="approve",
        decided_by="Sari",
        order_ref="MF-1",
        note="typo",
        flag_reason="no_match",
        # Recorded as the booking commits: a moment after it.
        decided_at=paid_at + timedelta(milliseconds=5),
    )
    invoice = Invoice(number="INV-1", mutation_id="m1", order_ref="MF-1", issued_at=paid_at)
    sent = [
        Notification(
            key="finance:m1",
            kind="finance",
            mutation_id="m1",
            status="sent",
            updated_at=T0 + timedelta(seconds=2),
        ),
        Notification(
            key="customer_email:m1",
            kind="customer_email",
            mutation_id="m1",
            status="failed",
            detail="550 no such user",
            updated_at=paid_at + timedelta(seconds=1),
        ),
    ]
    events = timeline(payment, decision, invoice, sent, [])
    assert [e.kind for e in events] == [
        "received",
        "flagged",
        "approved",
        "booked",
        "invoice",
        "email",
    ]
    assert events[1].code == "no_match"
    assert events[2].detail == "Sari: MF-1 · typo"
    assert not events[-1].ok


def test_words_in_both_languages() -> None:
    en, id_ = Words("en"), Words("id")
    assert (en.age(59), en.age(3 * 3600 + 120), en.age(3 * 86400)) == (
        "0 min",
        "3 h 2 min",
        "3 days",
    )
    assert id_.age(3 * 3600 + 120) == "3 jam 2 mnt"
    august = datetime(2026, 8, 17, 3, 5, tzinfo=UTC)
    assert en.when(august) == "17 Aug 2026 10:05 WIB"
    assert id_.when(august) == "17 Agu 2026 10:05 WIB"
    assert id_.when(august, day_only=True) == "17 Agu 2026"
    assert id_.reason("no_match") == "Tidak ada pesanan dengan nominal ini"
    assert id_.status("paid") == "lunas"
