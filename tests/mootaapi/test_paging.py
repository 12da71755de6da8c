"""Listing mutations through the client, against the fake Moota over real HTTP."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from mootaflow.domain.moota import JAKARTA, Accepted
from mootaflow.mootaapi import MootaNotFound
from tests.support.fakemoota import RunningFakeMoota

TODAY = datetime.now(JAKARTA).date()


async def test_forty_mutations_come_in_three_pages_of_fifteen(
    fake_moota: RunningFakeMoota,
) -> None:
    bank = fake_moota.fake.add_bank(bank_type="bca", account_number="0061234567")
    made = fake_moota.fake.add_mutations(bank.bank_id, [150_000 + n for n in range(40)])

    async with fake_moota.client() as client:
        first = await client.list_mutations(bank_id=bank.bank_id)
        assert (first.page, first.next_page, first.last_page, first.total) == (1, 2, 3, 40)
        assert first.per_page == 15 and first.size == 15 and not first.quarantined

        pages = [p async for p in client.iter_mutation_pages(bank_id=bank.bank_id)]
        assert [p.size for p in pages] == [15, 15, 10]
        assert [p.next_page for p in pages] == [2, 3, None]

    listed = [a.mutation for p in pages for a in p.accepted]
    assert sorted(m.mutation_id for m in listed) == sorted(item["mutation_id"] for item in made)
    # Newest first, as Moota lists them.
    assert listed[0].mutation_id == made[-1]["mutation_id"]
    # Exact money, from decimal strings; the raw item is Moota's own object.
    first_item = pages[0].accepted[0]
    assert first_item.mutation.amount == Decimal(first_item.raw["amount"])
    assert first_item.raw["amount"].endswith(".00")
    assert first_item.mutation.account_number == "0061234567"


async def test_filters_are_sent_on_every_page(fake_moota: RunningFakeMoota) -> None:
    """Laravel's next_page_url carries only ?page=N: the client resends its filters."""
    fake = fake_moota.fake
    ours, other = fake.add_bank(), fake.add_bank(bank_type="bri", label="BRI")
    fake.add_mutations(ours.bank_id, [20_000] * 20)
    fake.add_mutations(other.bank_id, [30_000] * 20)
    fake.add_mutations(ours.bank_id, [5_000] * 3, mutation_type="DB")
    old = datetime.now(JAKARTA) - timedelta(days=10)
    fake.add_mutations(ours.bank_id, [40_000] * 4, when=old)

    async with fake_moota.client() as client:
        credits = [
            item
            async for item in client.iter_mutations(
                bank_id=ours.bank_id,
                start_date=TODAY - timedelta(days=1),
                end_date=TODAY,
                mutation_type="CR",
            )
        ]
        assert len(credits) == 20
        assert all(isinstance(item, Accepted) for item in credits)
        assert {item.mutation.amount for item in credits if isinstance(item, Accepted)} == {
            Decimal(20_000)
        }
        older = await client.list_mutations(
            bank_id=ours.bank_id, start_date=TODAY - timedelta(days=11), end_date=old.date()
        )
        assert older.total == 4
    for request in fake.requests_to("/mutation", "GET"):
        assert f"bank={ours.bank_id}" in request.query


async def test_mutations_arriving_while_paging_are_not_missed_nor_repeated(
    fake_moota: RunningFakeMoota,
) -> None:
    """What `iter_mutations` guarantees: every mutation present for the whole pass comes
    exactly once, although new ones push it to a later page; new ones may come or not."""
    fake = fake_moota.fake
    bank = fake.add_bank()
    before = {item["mutation_id"] for item in fake.add_mutations(bank.bank_id, [10_000] * 40)}
    arrived: set[str] = set()
    seen: list[str] = []

    async with fake_moota.client() as client:
        async for item in client.iter_mutations(bank_id=bank.bank_id):
            assert isinstance(item, Accepted)
            seen.append(item.mutation.mutation_id)
            if len(seen) in (1, 16, 31):
                # Seven new transfers land at the top of the list between pages.
                arrived |= {m["mutation_id"] for m in fake.add_mutations(bank.bank_id, [99] * 7)}

        assert len(seen) == len(set(seen)), "a mutation was yielded twice"
        assert before <= set(seen), "a mutation present all along was missed"
        assert set(seen) <= before | arrived

        # A pass that starts now sees every one of them once.
        again = [item async for item in client.iter_mutations(bank_id=bank.bank_id)]
        assert len(again) == 40 + 21


async def test_raw_pages_repeat_what_new_mutations_push_down(fake_moota: RunningFakeMoota) -> None:
    """Why `iter_mutations` de-duplicates: Moota's pages shift under new arrivals."""
    fake = fake_moota.fake
    bank = fake.add_bank()
    fake.add_mutations(bank.bank_id, [10_000] * 30)
    ids: list[str] = []
    async with fake_moota.client() as client:
        async for page in client.iter_mutation_pages(bank_id=bank.bank_id):
            ids += [a.mutation.mutation_id for a in page.accepted]
            if page.page == 1:
                fake.add_mutations(bank.bank_id, [99] * 4)
    # Page 2 started with the last 4 items of page 1 again, and a third page appeared.
    assert len(ids) == 34 and len(set(ids)) == 30


async def test_a_page_past_the_end_is_empty_and_final(fake_moota: RunningFakeMoota) -> None:
    bank = fake_moota.fake.add_bank()
    fake_moota.fake.add_mutations(bank.bank_id, [10_000] * 3)
    async with fake_moota.client() as client:
        page = await client.list_mutations(bank_id=bank.bank_id, page=5)
        assert (page.size, page.next_page, page.total) == (0, None, 3)
        pages = [p async for p in client.iter_mutation_pages(bank_id=bank.bank_id, per_page=2)]
        assert [p.size for p in pages] == [2, 1]


async def test_an_odd_item_is_quarantined_not_fatal(fake_moota: RunningFakeMoota) -> None:
    """One mutation Moota mangled must not hide the rest of the listing."""
    fake = fake_moota.fake
    bank = fake.add_bank()
    good = fake.add_mutations(bank.bank_id, [10_000] * 3)
    good[1]["amount"] = "not money"
    async with fake_moota.client() as client:
        page = await client.list_mutations(bank_id=bank.bank_id)
        items = [item async for item in client.iter_mutations(bank_id=bank.bank_id)]
    assert len(page.accepted) == 2
    [bad] = page.quarantined
    assert bad.mutation_id == good[1]["mutation_id"]
    assert "amount" in bad.reason
    assert len(items) == 3


async def test_bank_accounts(fake_moota: RunningFakeMoota) -> None:
    fake = fake_moota.fake
    for n in range(23):  # more than one page of 20
        fake.add_bank(bank_type="bca" if n % 2 else "bri", account_number=f"00{n:08d}")
    async with fake_moota.client() as client:
        banks = await client.list_banks()
    assert len(banks) == 23
    assert {b.bank_id for b in banks} == {b.bank_id for b in fake.banks}
    bca = next(b for b in banks if b.bank_type == "bca")
    assert bca.interval_refresh == 15 and bca.is_active and bca.label == "BCA"
    assert "username" not in repr(bca)  # the bank login stays out of reprs


async def test_listing_an_unknown_bank_is_not_found(fake_moota: RunningFakeMoota) -> None:
    async with fake_moota.client() as client:
        with pytest.raises(MootaNotFound) as caught:
            await client.list_mutations(bank_id="nope", start_date=date(2026, 1, 1))
    assert caught.value.status == 404 and "Bank tidak ditemukan" in str(caught.value)
