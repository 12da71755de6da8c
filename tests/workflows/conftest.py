"""The payment path end to end: a real SMTP server (tests/conftest.py) and a real merchant
endpoint too."""

from collections.abc import AsyncIterator

import pytest

from mootaflow.domain.settings import Settings
from tests.support.callbacks import Merchant, running_merchant
from tests.support.smtp import SmtpServer

MERCHANT_SECRET = "merchant-callback-secret"
FINANCE_EMAIL = "finance@toko.example"


@pytest.fixture
async def merchant() -> AsyncIterator[Merchant]:
    async with running_merchant() as running:
        yield running


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer, merchant: Merchant) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_security": "none",
            "merchant_callback_url": merchant.url,
            "merchant_callback_secret": MERCHANT_SECRET,
            "finance_email": FINANCE_EMAIL,
        }
    )
