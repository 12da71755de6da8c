"""mootaflow: Moota bank-mutation webhooks as durable Temporal payment workflows."""

__version__ = "0.1.0"
