from mootaflow.domain.ratelimit import RateLimiter


def test_burst_then_steady_rate() -> None:
    limiter = RateLimiter(rate=10, burst=3)
    assert [limiter.check("a", 0.0) for _ in range(3)] == [0, 0, 0]
    assert limiter.check("a", 0.0) == 0.1  # the 4th must wait a tenth of a second
    assert limiter.check("a", 0.1) == 0
    assert limiter.check("b", 0.1) == 0  # clients are independent


def test_refill_is_capped_at_the_burst() -> None:
    limiter = RateLimiter(rate=1, burst=2)
    assert limiter.check("a", 0.0) == 0
    results = [limiter.check("a", 1000.0) for _ in range(3)]
    assert results[:2] == [0, 0] and results[2] > 0


def test_memory_is_bounded() -> None:
    limiter = RateLimiter(rate=1, burst=1, max_clients=100)
    for n in range(1000):
        limiter.check(f"10.0.{n // 256}.{n % 256}", float(n))
    assert len(limiter._buckets) <= 100
