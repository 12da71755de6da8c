"""A faithful fake of Moota for tests and local trials (`mootaflow fake-moota`).

Shipped in the package so the CLI can run it; production code never imports it.
API under `/api/v2` (what `mootaflow.mootaapi.MootaClient` talks to), control
endpoints under `/_fake` (see `control`), webhook pushes signed like Moota's.
"""

from mootaflow.fakemoota.app import create_app
from mootaflow.fakemoota.fake import DEFAULT_TOKEN, FakeMoota, RequestRecord
from mootaflow.fakemoota.faults import Fault, Faults
from mootaflow.fakemoota.laravel import laravel_page, php_json
from mootaflow.fakemoota.state import FakeBank
from mootaflow.fakemoota.webhook import Delivery, Webhooks

__all__ = [
    "DEFAULT_TOKEN",
    "Delivery",
    "FakeBank",
    "FakeMoota",
    "Fault",
    "Faults",
    "RequestRecord",
    "Webhooks",
    "create_app",
    "laravel_page",
    "php_json",
]
