"""The `mootaflow` command: composes every other package into running processes."""
