from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from mootaflow.store.types import Money, UTCDateTime


@pytest.mark.parametrize("amount", ["150123", "100123.50", "0.01", "999999999999999.99"])
def test_money_round_trips_exactly_through_integer_sen(amount: str, engine: AsyncEngine) -> None:
    money = Money()
    dialect = engine.dialect
    stored = money.process_bind_param(Decimal(amount), dialect)
    assert isinstance(stored, int)
    assert money.process_result_value(stored, dialect) == Decimal(amount)


def test_money_refuses_fractions_of_a_sen(engine: AsyncEngine) -> None:
    with pytest.raises(ValueError, match="more than two decimal places"):
        Money().process_bind_param(Decimal("1.005"), engine.dialect)


def test_datetimes_are_stored_in_utc_and_come_back_aware(engine: AsyncEngine) -> None:
    column = UTCDateTime()
    jakarta = datetime(2026, 11, 26, 10, 0, tzinfo=timezone(timedelta(hours=7)))
    stored = column.process_bind_param(jakarta, engine.dialect)
    assert stored == datetime(2026, 11, 26, 3, 0)
    assert column.process_result_value(stored, engine.dialect) == jakarta
    assert column.process_result_value(stored, engine.dialect).tzinfo == UTC  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(datetime(2026, 1, 1), engine.dialect)
