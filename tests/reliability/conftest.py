"""Reliability tests use the same real SMTP server and merchant endpoint as tests/workflows."""

from tests.workflows.conftest import merchant, settings, smtp

__all__ = ["merchant", "settings", "smtp"]
