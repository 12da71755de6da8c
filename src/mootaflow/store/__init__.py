"""Persistence: SQLModel tables, the engine, and every SQL statement of the service.

Transactions: the caller owns them. A function here runs in the transaction of the
session it is given and never begins, commits or rolls back, so the caller decides
what is one unit of work and several calls compose into one atomic change:

    async with sessions.begin() as session:   # commits on success, rolls back on error
        payment = await payments.get_payment(session, mutation_id)
        await session.run_sync(payments.save_outcome, mutation_id, outcome, now)

Reads that write nothing use `db.reading(sessions)` (on SQLite it takes no write
lock, so a reader never holds up the receiver). One function runs transactions of
its own and takes the session factory to say so: `retention.purge_before`, whose
batches each commit, so an attempt cut short keeps its progress.
`orders.create_order` retries a colliding code inside a savepoint of the caller's
transaction.

The receiver's writes (`inbox.save_accepted`, `mark_started`, `mark_start_failed`,
`insert_listed`) are plain functions of a `Connection`, the same rule: the caller
runs them, whole, with `one_call.OneCall.run` (its own transaction, one call), or
inside its own transaction with `one_call.in_session`.

The payment steps' SQL (payments, allocations, invoices, notifications, the matching
reads) are plain functions of an ORM `Session`: the worker runs each step's
transaction, whole, with `OneCall.run_session` (or `read_session`), and an async
caller inside its own with `session.run_sync(fn, ...)`, as the example above does.
"""
