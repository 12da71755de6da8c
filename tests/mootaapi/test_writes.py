"""Writing to Moota through the client: notes, tags, refresh, dummy mutations."""

import asyncio
import json

import pytest

from mootaflow.domain.settings import Settings
from mootaflow.mootaapi import MootaClient, MootaNotFound, MootaValidationError
from tests.support.fakemoota import RunningFakeMoota
from tests.support.servers import RunningReceiver


async def test_a_note_is_visible_in_moota(fake_moota: RunningFakeMoota) -> None:
    fake = fake_moota.fake
    item = fake.add_mutation(fake.add_bank().bank_id, 150_123)
    async with fake_moota.client() as client:
        await client.set_note(item["mutation_id"], "INV-202611-00001 MF-7K3P-9QXZ")
        await client.set_note(item["mutation_id"], "INV-202611-00001 MF-7K3P-9QXZ")
        with pytest.raises(MootaNotFound):
            await client.set_note("Nope0000000", "x")
        with pytest.raises(MootaValidationError) as caught:
            await client.set_note(item["mutation_id"], "x" * 300)
        assert "note" in caught.value.errors
        listed = await client.list_mutations()
    assert fake.note_of(item["mutation_id"]) == "INV-202611-00001 MF-7K3P-9QXZ"
    assert fake.note_calls(item["mutation_id"]) == ["INV-202611-00001 MF-7K3P-9QXZ"] * 2
    # The note shows in the listing too, parsed like any webhook item.
    assert listed.accepted[0].mutation.note == "INV-202611-00001 MF-7K3P-9QXZ"


async def test_tags_are_created_attached_and_replaced(fake_moota: RunningFakeMoota) -> None:
    fake = fake_moota.fake
    bank = fake.add_bank()
    first, second = fake.add_mutations(bank.bank_id, [150_123, 99_000])
    async with fake_moota.client() as client:
        await client.attach_tags(first["mutation_id"], ["flagged", "underpaid"])
        await client.attach_tags(second["mutation_id"], ["flagged", "no_match"])
        # Finance decided: the flagged mutation becomes a paid one.
        await client.update_tags(first["mutation_id"], ["paid", "MF-7K3P-9QXZ"])
        # Attaching again (a retried activity) changes nothing.
        await client.attach_tags(first["mutation_id"], ["paid"])
        await client.detach_tags(second["mutation_id"], ["no_match"])
        tags = await client.list_tags()
        only = await client.list_tags(["paid"])
        listed = await client.list_mutations(bank_id=bank.bank_id)

    assert fake.tags_of(first["mutation_id"]) == ["paid", "MF-7K3P-9QXZ"]
    assert fake.tags_of(second["mutation_id"]) == ["flagged"]
    # Each tag exists once, however often it was needed.
    assert sorted(t.name for t in tags) == sorted(
        ["flagged", "underpaid", "no_match", "paid", "MF-7K3P-9QXZ"]
    )
    assert [t.name for t in only] == ["paid"]
    taggings = {a.mutation.mutation_id: a.raw["taggings"] for a in listed.accepted}
    assert [t["name"] for t in taggings[first["mutation_id"]]] == ["paid", "MF-7K3P-9QXZ"]


async def test_ensure_tags_survives_a_concurrent_creator(fake_moota: RunningFakeMoota) -> None:
    """Two workers tagging at once both see 'paid' missing; one create loses with a 422."""
    async with fake_moota.client() as one, fake_moota.client() as two:
        results = await asyncio.gather(*(c.ensure_tags(["paid", "flagged"]) for c in (one, two)))
    assert results[0] == results[1]
    assert sorted(fake_moota.fake.tag_names) == ["flagged", "paid"]


async def test_refresh_is_recorded_and_crawls_the_account(fake_moota: RunningFakeMoota) -> None:
    """'I have paid': the transfer is in the bank; Moota lists it only after a crawl."""
    fake = fake_moota.fake
    bank = fake.add_bank()
    waiting = fake.add_mutation(bank.bank_id, 250_777, crawled=False)
    async with fake_moota.client() as client:
        assert (await client.list_mutations(bank_id=bank.bank_id)).total == 0
        await client.refresh_bank(bank.bank_id)
        page = await client.list_mutations(bank_id=bank.bank_id)
        with pytest.raises(MootaNotFound):
            await client.refresh_bank("Nope0000000")
    assert fake.refresh_calls(bank.bank_id) == 1
    assert [a.mutation.mutation_id for a in page.accepted] == [waiting["mutation_id"]]


async def test_a_dummy_mutation_reaches_a_real_receiver(
    fake_moota: RunningFakeMoota, receiver: RunningReceiver
) -> None:
    """POST /mutation/store pushes to the webhook as Moota does; mootaflow verifies and
    accepts it (the fake signs with the receiver's TEST_SECRET)."""
    fake = fake_moota.fake
    fake.webhooks.url = receiver.webhook_url
    bank = fake.add_bank(bank_type="bri", label="BRI", account_number="99838329")
    async with fake_moota.client() as client:
        result = await client.create_dummy_mutation(bank.bank_id, amount=150_123, note="test")
    await fake.webhooks.settle()

    assert (result.total, result.new) == (1, 1)
    [delivery] = fake.webhooks.deliveries
    assert [attempt.status for attempt in delivery.attempts] == [200]
    [item] = fake.mutations
    assert delivery.mutation_ids == [item["mutation_id"]]
    assert json.loads(delivery.attempts[0].answer) == {
        "received": 1,
        "duplicates": 0,
        "quarantined": 0,
    }


async def test_from_settings(fake_moota: RunningFakeMoota, settings: Settings) -> None:
    assert MootaClient.from_settings(settings) is None  # no token: the features are off
    configured = settings.model_copy(
        update={"moota_api_url": fake_moota.api_url, "moota_api_token": None}
    )
    assert MootaClient.from_settings(configured) is None
    on = Settings(
        _env_file=None,
        moota_api_url=fake_moota.api_url + "/",
        moota_api_token=fake_moota.token,
    )
    assert fake_moota.token not in repr(on) and fake_moota.token not in str(on.model_dump())
    client = MootaClient.from_settings(on)
    assert client is not None
    async with client:
        assert client.base_url == fake_moota.api_url
        assert await client.list_banks() == []
