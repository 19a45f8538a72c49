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
