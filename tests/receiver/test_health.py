from mootaflow.domain.settings import Settings
from tests.support.servers import running_receiver


async def test_healthz_and_readyz_with_everything_up(settings: Settings) -> None:
    async with running_receiver(settings) as receiver:
        assert (await receiver.http.get("/healthz")).json() == {"status": "ok"}
        ready = await receiver.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "temporal": "ok"}}
