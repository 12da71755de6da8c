"""A real Chromium for the console's browser tests: Debian's `chromium` driven by
Playwright, never a browser Playwright downloads. Missing, the tests fail (CI
installs it in .ci/run); they are never skipped."""

import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, async_playwright

CHROMIUM = os.environ.get("MOOTAFLOW_TEST_CHROMIUM", "/usr/bin/chromium")
# Quiet and self-contained: no sync, no updates, no background requests to anywhere.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@asynccontextmanager
async def chromium(viewport: tuple[int, int] = (1100, 900)) -> AsyncIterator[BrowserContext]:
    """A headless Chromium with a fresh profile, removed afterwards."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} not found: the console's browser tests need Debian's chromium "
            "(apt-get install -y chromium chromium-driver; .ci/run does)",
            pytrace=False,
        )
    profile = tempfile.mkdtemp(prefix="mootaflow-chromium-")
    try:
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=ARGS,
                viewport={"width": viewport[0], "height": viewport[1]},
                accept_downloads=True,
                locale="en-US",
                timezone_id="Asia/Jakarta",
            )
            try:
                yield context
            finally:
                await context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
