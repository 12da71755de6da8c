"""Persistence: SQLModel tables, the engine, and every SQL statement of the service."""
