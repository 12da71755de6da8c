"""Workflows call activities by the names and types in activities/contracts.py; the
implementations must answer to exactly those."""

import inspect
from typing import Any, get_type_hints

import httpx
from temporalio import activity
from temporalio.client import Client

from mootaflow.activities import contracts
from mootaflow.domain.settings import Settings
from mootaflow.store.databases import Databases
from mootaflow.temporal.worker import activities


def implementations(worker_activities: list[Any]) -> dict[str, Any]:
    found = {}
    for function in worker_activities:
        definition = activity._Definition.from_callable(function)
        assert definition is not None and definition.name is not None
        found[definition.name] = function
    return found


async def test_every_contract_has_one_implementation_of_its_types(
    client: Client, settings: Settings, databases: Databases
) -> None:
    async with httpx.AsyncClient() as http:
        registered = implementations(activities(client, settings, databases, http))
    assert set(registered) == {ref.name for ref in contracts.ALL}
    for ref in contracts.ALL:
        function = registered[ref.name]
        hints = get_type_hints(function)
        [parameter] = [p for p in inspect.signature(function).parameters if p != "self"]
        assert hints[parameter] == ref.input_type, ref.name
        assert hints["return"] == ref.result_type, ref.name
