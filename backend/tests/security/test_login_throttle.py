from backend.security.login_throttle import LoginThrottle


class FakeClock:
    """Time we can move by hand (the throttle's only notion of time)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttle(clock: FakeClock) -> LoginThrottle:
    return LoginThrottle(per_email=3, per_client=5, window_sec=60, clock=clock)


def test_blocks_after_limit_and_releases_after_window() -> None:
    clock = FakeClock()
    throttle = _throttle(clock)
    for _ in range(3):
        assert throttle.retry_after("a@x.org", "1.1.1.1") == 0
        throttle.record_failure("a@x.org", "1.1.1.1")
        clock.now += 1
    wait = throttle.retry_after("A@X.org", "9.9.9.9")  # email matched case-insensitively
    assert 0 < wait <= 60
    clock.now += wait
    assert throttle.retry_after("a@x.org", "1.1.1.1") == 0


def test_success_clears_the_email_but_not_the_client() -> None:
    clock = FakeClock()
    throttle = _throttle(clock)
    for i in range(5):
        throttle.record_failure(f"user{i}@x.org", "6.6.6.6")
    throttle.record_success("user0@x.org")
    assert throttle.retry_after("user0@x.org", "7.7.7.7") == 0
    assert throttle.retry_after("fresh@x.org", "6.6.6.6") > 0


def test_memory_stays_bounded_under_many_emails() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(per_email=3, per_client=10**9, window_sec=60, clock=clock)
    for i in range(30_000):
        throttle.record_failure(f"spray{i}@x.org", "5.5.5.5")
        if i % 1000 == 0:
            clock.now += 61  # older entries expire
    assert len(throttle._emails.failures) <= 11_000


async def test_workers_sharing_redis_share_one_count(redis_prefix: str) -> None:
    """Two workers' throttles on one Redis: failures on either count against the same email."""
    from backend.db.redis_state import connect_redis
    from backend.security.login_throttle import RedisLoginThrottle
    from backend.tests.conftest import redis_url

    workers = [connect_redis(redis_url(), redis_prefix) for _ in range(2)]
    throttles = [RedisLoginThrottle(state, per_email=3, per_client=5, window_sec=60) for state in workers]
    try:
        for attempt in range(3):
            assert await throttles[attempt % 2].check("victim@x.org", f"10.0.0.{attempt}") == 0
            await throttles[attempt % 2].failed("victim@x.org", f"10.0.0.{attempt}")
        for throttle in throttles:  # every worker, every spelling of the address
            assert 0 < await throttle.check("VICTIM@x.org", "10.9.9.9") <= 60
        await throttles[1].succeeded("Victim@X.org")
        assert await throttles[0].check("victim@x.org", "10.9.9.9") == 0
        for i in range(5):  # one client guessing many accounts, across workers
            await throttles[i % 2].failed(f"user{i}@x.org", "6.6.6.6")
        assert await throttles[0].check("fresh@x.org", "6.6.6.6") > 0
        assert await throttles[1].check("fresh@x.org", "7.7.7.7") == 0
    finally:
        for state in workers:
            await state.close()


async def test_redis_counts_expire_with_the_window(redis_prefix: str) -> None:
    from backend.db.redis_state import connect_redis
    from backend.security.login_throttle import RedisLoginThrottle
    from backend.tests.conftest import redis_url

    state = connect_redis(redis_url(), redis_prefix)
    throttle = RedisLoginThrottle(state, per_email=1, per_client=100, window_sec=1)
    try:
        await throttle.failed("a@x.org", "1.1.1.1")
        assert await throttle.check("a@x.org", "1.1.1.1") == 1
        ttl_ms = await state.client.pttl(state.key("throttle", "email", "a@x.org"))
        assert 0 < ttl_ms <= 1000  # Redis forgets it by itself
    finally:
        await state.close()
