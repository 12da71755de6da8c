"""Reliability tests use the same real SMTP server (tests/conftest.py) and merchant
endpoint as tests/workflows."""

from tests.workflows.conftest import merchant, settings

__all__ = ["merchant", "settings"]
