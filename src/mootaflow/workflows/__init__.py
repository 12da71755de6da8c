"""Temporal workflows: deterministic orchestration, no I/O.

Inside `workflow.unsafe.imports_passed_through()`, import this package's pure modules
by their full name (`import mootaflow.workflows.retries as retries`): `from
mootaflow.workflows import retries` goes around the sandbox's pass-through (importlib
loads a `from` list itself) and runs the module again for every workflow run.
"""
