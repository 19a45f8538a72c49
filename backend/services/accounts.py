"""Registering and authenticating users. Password hashing runs off the event loop."""

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from backend.db.queries import UserQueries
from backend.models.orm import User
from backend.models.schemas import UserLogin, UserRegister
from backend.security.login_throttle import LoginThrottle
from backend.security.passwords import hash_password, needs_rehash, verify_password


class LoginThrottled(Exception):
    def __init__(self, retry_after_sec: int) -> None:
        super().__init__(f"retry after {retry_after_sec} s")
        self.retry_after_sec = retry_after_sec


class BadCredentials(Exception):
    """Email unknown or password wrong: deliberately indistinguishable."""


async def register_user(users: UserQueries, body: UserRegister) -> User:
    """Create the account; raises queries.AlreadyExists if the username or email is taken."""
    password_hash = await run_in_threadpool(hash_password, body.password)
    return await users.create(
        username=body.username,
        email=str(body.email),
        password_hash=password_hash,
        neurotype=body.neurotype,
        preferences=body.preferences.model_dump(),
    )


@dataclass
class Authenticator:
    users: UserQueries
    throttle: LoginThrottle

    async def login(self, body: UserLogin, client: str) -> User:
        email = str(body.email)
        retry_after = self.throttle.retry_after(email, client)
        if retry_after:
            raise LoginThrottled(retry_after)
        user = await self.users.by_email(email)
        stored_hash = user.password_hash if user is not None and user.is_active else None
        if not await run_in_threadpool(verify_password, stored_hash, body.password) or user is None:
            self.throttle.record_failure(email, client)
            raise BadCredentials
        self.throttle.record_success(email)
        rehashed = (
            await run_in_threadpool(hash_password, body.password)
            if needs_rehash(user.password_hash)
            else None
        )
        await self.users.touch(user, password_hash=rehashed)
        return user
