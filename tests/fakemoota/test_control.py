"""The control endpoints (/_fake/...): what another process uses to drive the fake."""

import httpx
import pytest

from mootaflow.mootaapi import MootaAuthError, MootaUnavailable
from tests.support.callbacks import running_merchant
from tests.support.fakemoota import RunningFakeMoota


async def test_banks_mutations_and_state_over_http(fake_moota: RunningFakeMoota) -> None:
    async with httpx.AsyncClient(base_url=fake_moota.url) as http, running_merchant() as hook:
        bank = (
            await http.post("/_fake/banks", json={"bank_type": "bri", "account_number": "99838329"})
        ).json()
        assert bank["bank_type"] == "bri" and bank["balance"] == "0.00"
        configured = await http.post(
            "/_fake/webhook", json={"url": hook.url, "drop_share": 0.5, "seed": 3}
        )
        assert configured.json()["drop_share"] == 0.5
        made = await http.post(
            "/_fake/mutations",
            json={"bank_id": bank["bank_id"], "amount": "150123", "count": 10, "push": True},
        )
        assert made.status_code == 201 and len(made.json()) == 10
        hidden = await http.post(
            "/_fake/mutations",
            json={"bank_id": bank["bank_id"], "amount": 5000, "crawled": False},
        )
        assert hidden.status_code == 201
        state = (await http.get("/_fake/state")).json()
        assert state["mutations"] == 10 and state["uncrawled"] == {bank["bank_id"]: 1}
        found = (await http.post(f"/_fake/crawl/{bank['bank_id']}")).json()
        assert [m["mutation_id"] for m in found] == [hidden.json()[0]["mutation_id"]]
        settled = (await http.post("/_fake/settle")).json()
        assert settled["deliveries"] == 11
        assert settled["dropped"] + settled["delivered"] == 11
        assert len(settled["dropped_mutation_ids"]) == settled["dropped"]
        assert len(hook.received) == settled["delivered"]

        bad = await http.post("/_fake/mutations", json={"bank_id": "nope", "amount": 1})
        assert bad.status_code == 404
        bad = await http.post("/_fake/webhook", json={"drop_share": 2})
        assert bad.status_code == 400


async def test_faults_over_http(fake_moota: RunningFakeMoota) -> None:
    async with httpx.AsyncClient(base_url=fake_moota.url) as http:
        await http.post("/_fake/faults", json={"status": 401})
        async with fake_moota.client() as client:
            with pytest.raises(MootaAuthError):
                await client.list_banks()
            await http.post("/_fake/faults", json={"status": 503, "outage": True})
            with pytest.raises(MootaUnavailable) as caught:
                await client.list_banks()
            assert caught.value.attempts == 4
            # Control endpoints keep working during an outage.
            state = (await http.get("/_fake/state")).json()
            assert state["outage"] is True
            await http.delete("/_fake/faults")
            assert await client.list_banks() == []
            await http.post("/_fake/faults", json={"delay": 0.3, "count": 1, "path": "/bank"})
            assert (await http.get("/_fake/state")).json()["faults_queued"] == 1
            await client.list_banks()
            assert (await http.get("/_fake/state")).json()["faults_queued"] == 0
        bad = await http.post("/_fake/faults", json={})
        assert bad.status_code == 400
