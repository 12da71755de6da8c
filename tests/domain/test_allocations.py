"""Where a transfer's money goes, and every refusal naming its numbers."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mootaflow.domain.allocations import Difference, DoesNotAddUp, Line, check_lines, plan
from mootaflow.domain.decisions import InvalidDecision, read_request

D = Decimal


def test_exact_pays_in_full() -> None:
    made = plan(D(150123), {"A": D(150123)}, [Line("A")], None)
    assert (made.to_orders, made.completed, made.refund, made.surplus) == (
        {"A": D(150123)},
        ["A"],
        D(0),
        D(0),
    )


def test_a_shortfall_needs_a_choice_naming_the_numbers() -> None:
    with pytest.raises(DoesNotAddUp) as refused:
        plan(D(99999), {"MF-1": D(150001)}, [Line("MF-1")], None)
    assert str(refused.value) == (
        "the transfer of Rp 99.999 is Rp 50.002 short of the Rp 150.001 order MF-1 owes: "
        "choose difference accept or partial"
    )
    with pytest.raises(DoesNotAddUp):
        plan(D(99999), {"MF-1": D(150001)}, [Line("MF-1")], Difference.REFUND)


def test_a_shortfall_accepted_is_written_off_or_left_due() -> None:
    accepted = plan(D(99999), {"A": D(150001)}, [Line("A")], Difference.ACCEPT)
    assert (accepted.completed, accepted.write_offs, accepted.partial) == (
        ["A"],
        {"A": D(50002)},
        {},
    )
    partial = plan(D(99999), {"A": D(150001)}, [Line("A")], Difference.PARTIAL)
    assert (partial.completed, partial.write_offs, partial.partial) == ([], {}, {"A": D(50002)})


def test_a_surplus_is_kept_or_refunded() -> None:
    with pytest.raises(DoesNotAddUp, match=r"Rp 1\.000 more than the Rp 5\.000 allocated"):
        plan(D(6000), {"A": D(5000)}, [Line("A")], Difference.PARTIAL)
    kept = plan(D(6000), {"A": D(5000)}, [Line("A")], Difference.ACCEPT)
    refunded = plan(D(6000), {"A": D(5000)}, [Line("A")], Difference.REFUND)
    assert (kept.surplus, kept.refund, refunded.surplus, refunded.refund) == (
        D(1000),
        D(0),
        D(0),
        D(1000),
    )


def test_several_orders() -> None:
    due = {"A": D(100), "B": D(200), "C": D(300)}
    made = plan(D(650), due, [Line("A"), Line("B"), Line("C")], Difference.REFUND)
    assert (made.completed, made.refund) == (["A", "B", "C"], D(50))
    part = plan(D(250), due, [Line("A"), Line("C", D(150))], None)
    assert (part.completed, part.partial) == (["A"], {"C": D(150)})
    with pytest.raises(DoesNotAddUp, match=r"Rp 600, more than the transfer of Rp 500"):
        plan(D(500), due, [Line("A"), Line("B"), Line("C")], Difference.ACCEPT)
    with pytest.raises(DoesNotAddUp, match=r"Rp 250 for order A is more than the Rp 100"):
        plan(D(500), due, [Line("A", D(250))], None)


def test_the_validator_sums_name_the_numbers() -> None:
    with pytest.raises(DoesNotAddUp) as refused:
        check_lines(D(100000), [Line("A", D(60000)), Line("B", D(50000))])
    assert str(refused.value) == (
        "the allocations add up to Rp 110.000, more than the transfer of Rp 100.000 (by Rp 10.000)"
    )


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ({"difference": "maybe"}, "'difference' must be one of accept, partial, refund"),
        ({"allocations": []}, "'allocations' must be a non-empty list"),
        ({"allocations": ["MF-1"]}, "allocation 1 must be an object"),
        ({"allocations": [{"amount": 5}]}, "'order_ref' is required"),
        ({"allocations": [{"order_ref": "A", "amount": -5}]}, "allocation 1 (A): amount must be"),
        ({"allocations": [{"order_ref": "A", "amount": 1.5}]}, "allocation 1 (A): amount must be"),
        ({"allocations": [{"order_ref": "A"}, {"order_ref": "A"}]}, "appears twice"),
        (
            {"order_ref": "B", "allocations": [{"order_ref": "A"}]},
            "either 'order_ref' or 'allocations'",
        ),
    ],
)
def test_garbage_in_an_approval_is_named(payload: dict[str, object], complaint: str) -> None:
    with pytest.raises(InvalidDecision) as refused:
        read_request("approve", {"by": "Sari", **payload})
    assert complaint in str(refused.value)


@given(
    transfer=st.integers(1, 10**9),
    dues=st.lists(st.integers(1, 10**8), min_size=1, max_size=5),
    difference=st.sampled_from([None, *Difference]),
)
def test_a_plan_never_allocates_more_than_came_in_or_is_owed(
    transfer: int, dues: list[int], difference: Difference | None
) -> None:
    due = {f"O{i}": D(d) for i, d in enumerate(dues)}
    try:
        made = plan(D(transfer), due, [Line(ref) for ref in due], difference)
    except DoesNotAddUp:
        return
    assert sum(made.to_orders.values()) + made.surplus + made.refund == transfer
    for ref, amount in made.to_orders.items():
        left = due[ref] - amount - made.write_offs.get(ref, 0)
        assert left == made.partial.get(ref, 0) and left >= 0
        assert (ref in made.completed) == (left == 0)
