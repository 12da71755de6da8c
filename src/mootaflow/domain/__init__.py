"""Pure logic: no I/O, no database, no Temporal. Safe to import inside workflows."""
