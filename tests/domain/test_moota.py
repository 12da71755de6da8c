import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from mootaflow.domain.moota import (
    DeliveryError,
    MutationError,
    load_delivery,
    parse_delivery,
    parse_moota_date,
    parse_mutation,
    workflow_id_for,
)
from tests.conftest import fixture_bytes


def base_item(**changes: object) -> dict[str, object]:
    item: dict[str, object] = json.loads(fixture_bytes("mutation-without-bank.json"))
    item.update(changes)
    return item


def test_sdk_delivery_parses_with_exact_amount_and_jakarta_time() -> None:
    parsed = parse_delivery(load_delivery(fixture_bytes("sdk-delivery.body")))
    assert parsed.quarantined == []
    [accepted] = parsed.accepted
    mutation = accepted.mutation
    assert mutation.mutation_id == "aolk4PekJxM"
    assert mutation.account_number == "235264741"
    assert mutation.bank_id == "VLagzqBj42D"
    assert mutation.type == "CR"
    assert mutation.amount == Decimal(100123)
    assert isinstance(mutation.amount, Decimal)
    assert mutation.date == datetime(2021, 10, 5, 3, 25, 16, tzinfo=UTC)
    assert mutation.description == "buy other food"
    assert mutation.workflow_id == "moota-mutation-aolk4PekJxM"
    # Unknown fields are kept in the raw item.
    assert accepted.raw["taggings"] == []
    assert accepted.raw["bank"]["bank_type"] == "bca"


def test_laravel_delivery_with_int_account_and_string_amount() -> None:
    parsed = parse_delivery(load_delivery(fixture_bytes("laravel-delivery.body")))
    [accepted] = parsed.accepted
    assert accepted.mutation.account_number == "4966821"
    assert accepted.mutation.amount == Decimal(10000)
    assert accepted.mutation.note == ""
    assert accepted.mutation.mutation_id == "6192242"


@pytest.mark.parametrize("name", ["mutation-with-bank.json", "mutation-without-bank.json"])
def test_single_mutation_fixtures_parse_alike(name: str) -> None:
    mutation = parse_mutation(json.loads(fixture_bytes(name)))
    assert mutation.mutation_id == "IHBb97sba7d"
    assert mutation.amount == Decimal(50000)
    assert mutation.note == "Testing webhook moota"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (100123, Decimal(100123)),
        ("100123", Decimal(100123)),
        ("100123.00", Decimal(100123)),
        (Decimal("100123.50"), Decimal("100123.50")),
        (" 250000 ", Decimal(250000)),
    ],
)
def test_amount_variants_are_exact(amount: object, expected: Decimal) -> None:
    assert parse_mutation(base_item(amount=amount)).amount == expected


def test_decimal_json_number_stays_exact() -> None:
    body = json.dumps([base_item(amount="X")]).replace('"X"', "100123.10").encode()
    [accepted] = parse_delivery(load_delivery(body)).accepted
    assert accepted.mutation.amount == Decimal("100123.10")


@pytest.mark.parametrize("bank", [None, {"meta": None, "bank_type": "bri"}])
def test_bank_absent_or_null_is_fine(bank: object) -> None:
    assert parse_mutation(base_item(bank=bank)).bank_id == "Aslx120mlw"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": None}, "amount must be a number"),
        ({"amount": "abc"}, "not a decimal number"),
        ({"amount": -5}, "must be positive"),
        ({"amount": 0}, "must be positive"),
        ({"amount": True}, "amount must be a number"),
        ({"amount": "1.005"}, "more than two decimal places"),
        ({"amount": "Infinity"}, "finite"),
        ({"amount": "1e30"}, "implausibly large"),
        ({"amount": [1]}, "amount must be a number"),
        ({"type": "XX"}, "type must be 'CR' or 'DB'"),
        ({"type": None}, "type must be 'CR' or 'DB'"),
        ({"account_number": None}, "account_number is missing"),
        ({"account_number": {"a": 1}}, "account_number must be a string"),
        ({"account_number": "x" * 65}, "not a plausible identifier"),
        ({"date": "10/11/2019"}, "date must be"),
        ({"date": 12345}, "date must be"),
        ({"description": 5}, "description must be a string"),
        ({"mutation_id": "has space"}, "unexpected characters"),
        ({"mutation_id": {"x": 1}}, "mutation_id must be a string"),
    ],
)
def test_invalid_fields_are_named(changes: dict[str, object], message: str) -> None:
    with pytest.raises(MutationError, match=message):
        parse_mutation(base_item(**changes))


def test_type_is_normalised() -> None:
    assert parse_mutation(base_item(type="db")).type == "DB"


def test_missing_mutation_id_gets_a_stable_derived_id() -> None:
    first = parse_mutation(base_item(mutation_id=None))
    resent = parse_mutation(
        base_item(mutation_id="", amount="50000.00", account_number=12312412312, updated_at="x")
    )
    other = parse_mutation(base_item(mutation_id=None, amount=50001))
    assert first.id_derived and resent.id_derived
    assert first.mutation_id.startswith("derived-")
    assert first.mutation_id == resent.mutation_id
    assert first.mutation_id != other.mutation_id


def test_integer_mutation_id_is_accepted_as_text() -> None:
    assert parse_mutation(base_item(mutation_id=6192242)).mutation_id == "6192242"


def test_invalid_items_are_quarantined_not_fatal() -> None:
    body = json.dumps([base_item(), base_item(mutation_id="m2", amount="oops"), "junk"]).encode()
    parsed = parse_delivery(load_delivery(body))
    assert [a.mutation.mutation_id for a in parsed.accepted] == ["IHBb97sba7d"]
    assert [q.mutation_id for q in parsed.quarantined] == ["m2", None]
    assert "not a decimal number" in parsed.quarantined[0].reason
    assert "must be a JSON object" in parsed.quarantined[1].reason
    assert parsed.size == 3
    # Same bad item, same fingerprint: re-sends de-duplicate in quarantine too.
    again = parse_delivery(load_delivery(body))
    assert again.quarantined[0].fingerprint == parsed.quarantined[0].fingerprint


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b'{"a": 1}', "must be a JSON array of mutations, got a JSON object"),
        (b'"text"', "got a JSON string"),
        (b"\xff\xfe\x00", "not valid"),
        (b"[NaN]", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (
            json.dumps(
                [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
            ).encode(),
            "nested deeper",
        ),
    ],
)
def test_unusable_bodies_raise_delivery_error(body: bytes, message: str) -> None:
    with pytest.raises(DeliveryError, match=message):
        load_delivery(body)


def test_empty_array_is_a_valid_delivery() -> None:
    assert parse_delivery(load_delivery(b"[]")).size == 0


def test_moota_date_accepts_iso_t_separator() -> None:
    assert parse_moota_date("2024-02-07T20:14:33") == parse_moota_date("2024-02-07 20:14:33")


def test_workflow_id_contract() -> None:
    assert workflow_id_for("abc") == "moota-mutation-abc"


def test_sdk_delivery_is_time_stamped_and_says_when_moota_saw_it() -> None:
    [accepted] = parse_delivery(load_delivery(fixture_bytes("sdk-delivery.body"))).accepted
    assert accepted.mutation.date_only is False
    assert accepted.mutation.seen_at == datetime(2021, 10, 5, 3, 25, 16, tzinfo=UTC)


@pytest.mark.parametrize("date", ["2021-10-05 00:00:00", "2021-10-05", "2021-10-05T00:00:00"])
def test_bca_style_midnight_or_bare_day_is_date_only(date: str) -> None:
    # Moota's own API example: "date": "2021-10-05 00:00:00", "created_at": "... 10:25:16".
    parsed = parse_mutation(base_item(date=date, created_at="2021-10-05 10:25:16"))
    assert parsed.date_only is True
    assert parsed.date == datetime(2021, 10, 4, 17, 0, tzinfo=UTC)  # midnight in Jakarta
    assert parsed.seen_at == datetime(2021, 10, 5, 3, 25, 16, tzinfo=UTC)


@pytest.mark.parametrize("created_at", [None, "", "yesterday", 12345, "2021-13-45 99:00:00"])
def test_missing_or_garbled_created_at_is_not_a_reason_to_quarantine(created_at: object) -> None:
    parsed = parse_mutation(base_item(date="2021-10-05 00:00:00", created_at=created_at))
    assert (parsed.date_only, parsed.seen_at) == (True, None)


def test_date_only_changes_no_derived_id() -> None:
    # Ids derived before date-only dates were told apart must stay the same.
    item = base_item(mutation_id=None, date="2021-10-05 00:00:00")
    bare = base_item(mutation_id=None, date="2021-10-05")
    # The id the code gave this item before (commit 843487f).
    assert parse_mutation(item).mutation_id == "derived-135e88463400d2aa634156e5d6b3e25a"
    assert parse_mutation(bare).mutation_id == "derived-135e88463400d2aa634156e5d6b3e25a"
