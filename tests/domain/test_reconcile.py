"""Reconciliation's pure rules: the range a pass lists, the webhook's grace, the cursor,
the refresh throttle."""

from datetime import UTC, date, datetime, timedelta

import pytest

from mootaflow.domain.moota import JAKARTA, parse_mutation
from mootaflow.domain.reconcile import (
    BankRef,
    first_day,
    left_to_webhook,
    next_cursor,
    refresh_wait,
)
from tests.support.moota import mutation

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta


def test_a_pass_starts_a_whole_day_before_its_cursor_day_in_jakarta() -> None:
    # 2026-11-26 23:30 Jakarta: a BCA transfer at 23:55 that day is crawled after
    # midnight with the 26th as its date, so the next pass must list the 26th.
    cursor = datetime(2026, 11, 26, 23, 30, tzinfo=JAKARTA)
    assert first_day(cursor, NOW, 1) == date(2026, 11, 25)
    assert first_day(cursor, NOW, 3) == date(2026, 11, 23)


def test_the_cursor_day_is_jakartas_not_utcs() -> None:
    # 18:00 UTC on the 26th is already the 27th in Jakarta.
    assert first_day(datetime(2026, 11, 26, 18, 0, tzinfo=UTC), NOW, 1) == date(2026, 11, 26)


def test_without_a_cursor_a_pass_starts_before_today() -> None:
    assert first_day(None, NOW, 1) == date(2026, 11, 26)


def test_an_overlap_under_one_day_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        first_day(None, NOW, 0)


def test_mutations_moota_saw_moments_ago_are_left_to_their_webhook() -> None:
    seen = (NOW - timedelta(seconds=30)).astimezone(JAKARTA)
    young = parse_mutation(mutation(created_at=seen.strftime("%Y-%m-%d %H:%M:%S")))
    old = parse_mutation(
        mutation(created_at=(seen - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S"))
    )
    undated = parse_mutation(mutation())  # no created_at
    grace = timedelta(minutes=2)
    assert left_to_webhook(young, NOW, grace)
    assert not left_to_webhook(old, NOW, grace)
    assert not left_to_webhook(undated, NOW, grace)
    assert not left_to_webhook(young, NOW, timedelta())


def test_the_cursor_never_moves_backwards() -> None:
    earlier = NOW - timedelta(hours=1)
    assert next_cursor(None, earlier) == earlier
    assert next_cursor(NOW, earlier) == NOW
    assert next_cursor(earlier, NOW) == NOW


def test_refresh_is_allowed_once_per_five_minutes() -> None:
    assert refresh_wait(None, NOW) is None
    assert refresh_wait(NOW - timedelta(minutes=1), NOW) == timedelta(minutes=4)
    assert refresh_wait(NOW - timedelta(minutes=5), NOW) is None


def test_an_account_is_named_by_its_number_or_its_bank_id() -> None:
    bank = BankRef("K3jd9ALs0qP", "0061234567", "BCA")
    assert bank.named_by("0061234567")
    assert bank.named_by(" K3jd9ALs0qP ")
    assert not bank.named_by("1234567890")
