import json
from datetime import UTC, datetime
from decimal import Decimal

from mootaflow.cli.simulate import build_delivery
from mootaflow.domain.moota import load_delivery, parse_delivery


def test_simulated_delivery_looks_like_moota_and_parses() -> None:
    body = build_delivery(
        account="123",
        amount=Decimal("150123.50"),
        description="TRSF 11/26 CR/BCA",
        note="",
        mutation_type="CR",
        count=2,
        bank_id="b1",
        now=datetime(2026, 11, 26, 3, 0, tzinfo=UTC),
    )
    assert b'", "' not in body and b'": ' not in body  # compact, like json_encode
    assert b"\\/" in body  # PHP escapes slashes
    items = json.loads(body)
    assert items[0]["date"] == "2026-11-26 10:00:00"  # Jakarta time
    parsed = parse_delivery(load_delivery(body))
    assert [a.mutation.amount for a in parsed.accepted] == [Decimal("150123.50")] * 2
    assert parsed.accepted[0].mutation.description == "TRSF 11/26 CR/BCA"
    assert len({a.mutation.mutation_id for a in parsed.accepted}) == 2


def test_simulated_bca_delivery_gives_the_day_only() -> None:
    body = build_delivery(
        account="123",
        amount=Decimal(150123),
        description="TRSF E-BANKING CR 2611/FTSCY/WS95031",
        note="",
        mutation_type="CR",
        count=1,
        bank_id="b1",
        now=datetime(2026, 11, 26, 3, 0, tzinfo=UTC),
        date_only=True,
    )
    [item] = json.loads(body)
    assert (item["date"], item["created_at"]) == ("2026-11-26 00:00:00", "2026-11-26 10:00:00")
    [accepted] = parse_delivery(load_delivery(body)).accepted
    assert accepted.mutation.date_only is True
