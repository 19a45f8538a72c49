"""Redis, where several workers keep what they share (only when NEUROTUNE_REDIS_URL is set).

Every key starts with the configured prefix (`RedisState.key("throttle", "email", ...)`), so one
Redis can serve several NeuroTune installations, and tests can use a prefix of their own.
"""

import asyncio
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError


@dataclass(frozen=True)
class RedisState:
    client: Redis
    prefix: str

    def key(self, *parts: object) -> str:
        return ":".join([self.prefix, *(str(part) for part in parts)])

    async def ping_error(self, timeout_sec: float) -> str | None:
        """None if Redis answers a PING within `timeout_sec`, else what went wrong (for /health)."""
        try:
            await asyncio.wait_for(self.client.ping(), timeout_sec)
        except TimeoutError:
            return f"no answer within {timeout_sec:g} s"
        except RedisError as error:
            return f"{type(error).__name__}: {str(error)[:200]}"
        return None

    async def close(self) -> None:
        await self.client.aclose()


def connect_redis(url: str, prefix: str) -> RedisState:
    """A client for `url` (connections open on first use; decoded strings in and out)."""
    return RedisState(Redis.from_url(url, decode_responses=True, health_check_interval=30), prefix)
