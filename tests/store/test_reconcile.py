"""Reconciliation's SQL on a real database: passes begun, resumed, paged once however
often a page is saved, finished (moving the cursor); the inbox shared with webhooks;
the refresh throttle; the purge of old passes."""

import hashlib
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from mootaflow.domain.moota import JAKARTA, load_delivery, parse_delivery, parse_mutation
from mootaflow.domain.reconcile import BankRef
from mootaflow.store import inbox, payments
from mootaflow.store import reconcile as store
from mootaflow.store.db import Sessions
from mootaflow.store.one_call import in_session
from mootaflow.store.reconcile import ListedPage, PassPlan
from mootaflow.store.retention import purge_before
from mootaflow.store.tables import Delivery, InboxMutation, MootaAccount, ReconcilePass
from tests.support.moota import body_of, mutation

NOW = datetime.now(UTC)
BANK = BankRef("K3jd9ALs0qP", "0061234567", "BCA")
SCHEDULED = PassPlan(trigger="schedule", overlap_days=1, per_page=15)


def page(number: int, items: list[dict[str, object]], next_page: int | None) -> ListedPage:
    parsed = parse_delivery(list(items))
    return ListedPage(number, parsed.accepted, parsed.quarantined, next_page, last_page=2)


async def deliver_by_webhook(sessions: Sessions, *items: dict[str, object]) -> None:
    body = body_of(*items)
    loaded = load_delivery(body)
    facts = inbox.RequestFacts(NOW, "127.0.0.1", {}, len(body), hashlib.sha256(body).hexdigest())
    async with sessions.begin() as session:
        await in_session(
            session, inbox.save_accepted, [inbox.Incoming(facts, parse_delivery(loaded), loaded)]
        )


async def test_a_pass_pages_into_the_inbox_once_per_page(sessions: Sessions) -> None:
    broken: dict[str, object] = {"mutation_id": "x", "amount": "oops"}
    by_webhook, lost = mutation(), mutation()
    await deliver_by_webhook(sessions, by_webhook)
    async with sessions.begin() as session:
        run, resumed = await store.begin_pass(session, BANK, SCHEDULED, NOW)
    assert not resumed and run.id is not None and run.next_page == 1
    # No cursor yet: from the day before today (Jakarta).
    assert run.first_day == NOW.astimezone(JAKARTA).date() - timedelta(days=1)

    first = page(1, [by_webhook, lost, broken], next_page=2)
    async with sessions.begin() as session:
        saved = await store.save_page(session, run.id, first, NOW)
    assert saved.new_ids == (lost["mutation_id"],)
    assert (saved.listed, saved.known, saved.quarantined, saved.next_page) == (3, 1, 1, 2)

    # The same page again (a retried activity, a second run on the pass): nothing counted.
    async with sessions.begin() as session:
        again = await store.save_page(session, run.id, first, NOW)
    assert again.already_saved and again.new_ids == () and again.next_page == 2

    async with sessions.begin() as session:
        row = await inbox.get_inbox_row(session, lost["mutation_id"])
        webhook_row = await inbox.get_inbox_row(session, by_webhook["mutation_id"])
    assert row is not None and row.source == "reconcile" and row.state == "pending"
    assert row.delivery_id == run.delivery_id
    assert webhook_row is not None and webhook_row.source == "webhook"

    async with sessions.begin() as session:
        await store.save_page(session, run.id, page(2, [], next_page=None), NOW)
        summary = await store.finish_pass(session, run.id, NOW)
    assert (summary.pages, summary.listed, summary.new, summary.known) == (2, 3, 1, 1)
    assert summary.quarantined == 1
    async with sessions.begin() as session:
        delivery = await session.get(Delivery, run.delivery_id)
        account = await session.get(MootaAccount, BANK.bank_id)
    assert delivery is not None and delivery.verdict == "reconcile"
    assert (delivery.received, delivery.duplicates, delivery.quarantined) == (3, 1, 1)
    assert account is not None and account.cursor == run.started_at and account.pass_id is None


async def test_the_payment_row_takes_its_source_from_the_inbox(sessions: Sessions) -> None:
    lost = mutation()
    async with sessions.begin() as session:
        run, _ = await store.begin_pass(session, BANK, SCHEDULED, NOW)
        assert run.id is not None
        await store.save_page(session, run.id, page(1, [lost], None), NOW)
        # The activity reads the source (from the receiving database), then records.
        source = await inbox.source_of(session, lost["mutation_id"])
        await session.run_sync(payments.record_payment, parse_mutation(lost), NOW, source)
        hand_started = mutation()  # no inbox row: counts as a webhook's
        source = await inbox.source_of(session, hand_started["mutation_id"])
        await session.run_sync(payments.record_payment, parse_mutation(hand_started), NOW, source)
        found = await payments.get_payment(session, lost["mutation_id"])
        other = await payments.get_payment(session, hand_started["mutation_id"])
    assert found is not None and found.source == "reconcile"
    assert other is not None and other.source == "webhook"


async def test_an_interrupted_scheduled_pass_is_resumed_at_its_next_page(
    sessions: Sessions,
) -> None:
    async with sessions.begin() as session:
        run, _ = await store.begin_pass(session, BANK, SCHEDULED, NOW)
        assert run.id is not None
        await store.save_page(session, run.id, page(1, [mutation()], next_page=2), NOW)
    async with sessions.begin() as session:
        again, resumed = await store.begin_pass(session, BANK, SCHEDULED, NOW + timedelta(hours=1))
    assert resumed and again.id == run.id and again.next_page == 2

    # Checks and hand passes are always new: they must see Moota from page 1.
    check = PassPlan(trigger="check", overlap_days=1, per_page=15)
    async with sessions.begin() as session:
        other, resumed = await store.begin_pass(session, BANK, check, NOW)
    assert not resumed and other.id != run.id and other.next_page == 1


async def test_only_scheduled_passes_move_the_cursor_and_it_sets_the_next_range(
    sessions: Sessions,
) -> None:
    hand = PassPlan(trigger="hand", overlap_days=1, per_page=15, since=date(2026, 1, 1))
    async with sessions.begin() as session:
        run, _ = await store.begin_pass(session, BANK, hand, NOW)
        assert run.id is not None and run.first_day == date(2026, 1, 1)
        await store.save_page(session, run.id, page(1, [], None), NOW)
        await store.finish_pass(session, run.id, NOW)
        account = await session.get(MootaAccount, BANK.bank_id)
    assert account is not None and account.cursor is None

    three_days_ago = NOW - timedelta(days=3)
    async with sessions.begin() as session:
        run, _ = await store.begin_pass(session, BANK, SCHEDULED, three_days_ago)
        assert run.id is not None
        await store.save_page(session, run.id, page(1, [], None), NOW)
        await store.finish_pass(session, run.id, NOW)
    # The worker was down for three days: the next pass reaches back to then.
    async with sessions.begin() as session:
        following, _ = await store.begin_pass(session, BANK, SCHEDULED, NOW)
    assert following.first_day == three_days_ago.astimezone(JAKARTA).date() - timedelta(days=1)


async def test_young_mutations_are_left_to_their_webhook(sessions: Sessions) -> None:
    seen = NOW.astimezone(JAKARTA).strftime("%Y-%m-%d %H:%M:%S")
    young = mutation(created_at=seen)
    graced = PassPlan(trigger="schedule", overlap_days=1, per_page=15, min_age=timedelta(2))
    async with sessions.begin() as session:
        run, _ = await store.begin_pass(session, BANK, graced, NOW)
        assert run.id is not None
        saved = await store.save_page(session, run.id, page(1, [young], None), NOW)
    assert saved.deferred == 1 and saved.new_ids == ()
    async with sessions.begin() as session:
        assert await inbox.get_inbox_row(session, young["mutation_id"]) is None


async def test_refresh_slot_is_taken_once_per_window_and_given_back(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        wait, previous = await store.claim_refresh(session, BANK, NOW)
    assert wait is None and previous is None
    async with sessions.begin() as session:
        wait, _ = await store.claim_refresh(session, BANK, NOW + timedelta(minutes=2))
    assert wait == timedelta(minutes=3)
    # Moota refused the refresh: the slot goes back, the next claim succeeds.
    async with sessions.begin() as session:
        await store.release_refresh(session, BANK.bank_id, NOW, previous)
        wait, _ = await store.claim_refresh(session, BANK, NOW + timedelta(minutes=2))
    assert wait is None


async def test_accounts_are_remembered_by_number(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        await store.remember_banks(session, [BANK, BankRef("b2", "999")], NOW)
        await store.remember_banks(session, [BankRef(BANK.bank_id, BANK.account_number, "X")], NOW)
        [known] = await store.banks_for_account(session, BANK.account_number)
    assert (known.bank_id, known.label) == (BANK.bank_id, "X")


async def test_old_finished_passes_are_purged_with_their_delivery(sessions: Sessions) -> None:
    old = NOW - timedelta(days=40)
    async with sessions.begin() as session:
        finished, _ = await store.begin_pass(session, BANK, SCHEDULED, old)
        assert finished.id is not None
        await store.save_page(session, finished.id, page(1, [], None), old)
        await store.finish_pass(session, finished.id, old)
        running, _ = await store.begin_pass(session, BankRef("b2", "999"), SCHEDULED, old)
    await purge_before(sessions, NOW - timedelta(days=30))
    async with sessions.begin() as session:
        left = {p.id for p in (await session.execute(select(ReconcilePass))).scalars()}
        deliveries = {d.id for d in (await session.execute(select(Delivery))).scalars()}
        rows = (await session.execute(select(InboxMutation))).scalars().all()
    assert left == {running.id}  # a pass still under way is kept, with its delivery
    assert deliveries == {running.delivery_id}
    assert rows == []
