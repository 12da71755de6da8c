from mootaflow.domain.settings import Settings
from tests.support.moota import body_of, mutation, post_signed
from tests.support.servers import running_receiver


async def test_rate_limit_answers_429_with_retry_after(settings: Settings) -> None:
    strict = settings.model_copy(update={"rate_limit_per_second": 0.5, "rate_limit_burst": 2})
    async with running_receiver(strict) as receiver:
        first = [await post_signed(receiver.http, body_of(mutation())) for _ in range(2)]
        limited = await post_signed(receiver.http, body_of(mutation()))
        api = await receiver.http.get("/api/orders/MF-AAAA-BBBB")
        health = await receiver.http.get("/healthz")
    assert [r.status_code for r in first] == [200, 200]
    assert (limited.status_code, limited.json()["error"]) == (429, "rate_limited")
    assert 1 <= int(limited.headers["retry-after"]) <= 2
    assert api.status_code == 429
    assert health.status_code == 200  # probes are never limited
