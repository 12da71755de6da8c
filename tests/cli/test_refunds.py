"""`mootaflow refunds` as finance runs it: the list, marking one paid, garbage refused."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mootaflow.domain.allocations import Difference, Line
from mootaflow.store import allocations
from mootaflow.store.db import create_engine, session_factory, upgrade_schema
from tests.support import ledger
from tests.support.processes import clean_env, run_mootaflow


async def test_list_and_mark_paid(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    engine = create_engine(url)
    await upgrade_schema(engine)
    sessions = session_factory(engine)
    order = await ledger.new_order(sessions, customer_name="Ani", customer_email="ani@x.id")
    mutation_id = await ledger.received(
        sessions, amount=int(order.amount) + 1500, description="TRSF 0123456789 ANI"
    )
    async with sessions.begin() as session:
        await session.run_sync(
            allocations.allocate, mutation_id, [Line(order.ref)], Difference.REFUND, "Budi", "typo",
            datetime.now(UTC), timedelta(days=7),
        )  # fmt: skip
    await engine.dispose()
    env = clean_env(MOOTAFLOW_DATABASE_URL=url)

    listed = await run_mootaflow("refunds", env=env, cwd=tmp_path)
    assert listed.code == 0, listed.stderr
    assert "Rp 1.500" in listed.stdout and order.ref in listed.stdout
    assert "0123456789" in listed.stdout and "1 due." in listed.stdout
    [row] = json.loads((await run_mootaflow("refunds", "--json", env=env, cwd=tmp_path)).stdout)
    assert (row["amount"], row["customer_email"], row["status"]) == ("1500", "ani@x.id", "due")

    args = ("refunds", "mark-paid", str(row["id"]), "--reference", "BCA 77", "--by", "Sari")
    marked = await run_mootaflow(*args, env=env, cwd=tmp_path)
    assert marked.code == 0, marked.stderr
    assert "is now recorded as paid (reference BCA 77, by Sari)" in marked.stdout
    again = await run_mootaflow(*args, env=env, cwd=tmp_path)
    assert again.code == 0 and "was already recorded as paid" in again.stdout
    other = await run_mootaflow(*args[:4], "BCA 78", "--by", "Budi", env=env, cwd=tmp_path)
    assert other.code == 1 and "already paid by Sari" in other.stderr
    assert "No refunds due." in (await run_mootaflow("refunds", env=env, cwd=tmp_path)).stdout

    for bad in (
        ("refunds", "mark-paid", "x7", "--reference", "r", "--by", "S"),
        ("refunds", "mark-paid", "7", "--reference", " ", "--by", "S"),
        ("refunds", "--status", "maybe"),
        ("approve", "t-1", "--by", "S", "--allocate", "=500"),
        ("approve", "t-1", "--by", "S", "--difference", "half"),
    ):
        refused = await run_mootaflow(*bad, env=env, cwd=tmp_path)
        assert refused.code == 2, bad
        assert "Traceback" not in refused.stderr
    missing = await run_mootaflow(
        "refunds", "mark-paid", "999", "--reference", "r", "--by", "S", env=env, cwd=tmp_path
    )
    assert (missing.code, missing.stderr.strip()) == (1, "error: no refund 999")
