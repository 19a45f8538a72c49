"""Registering and authenticating users. Password hashing runs off the event loop, bounded."""

from dataclasses import dataclass

from backend.db.queries import UserQueries
from backend.models.identity import canonical_email
from backend.models.orm import User
from backend.models.schemas import UserLogin, UserRegister
from backend.security.login_throttle import Throttle
from backend.security.passwords import PasswordWork, needs_rehash


class LoginThrottled(Exception):
    def __init__(self, retry_after_sec: int) -> None:
        super().__init__(f"retry after {retry_after_sec} s")
        self.retry_after_sec = retry_after_sec


class BadCredentials(Exception):
    """Email unknown or password wrong: deliberately indistinguishable."""


async def register_user(users: UserQueries, passwords: PasswordWork, body: UserRegister) -> User:
    """Create the account; raises queries.AlreadyExists if the username or email is taken
    (compared in canonical form), passwords.HashingBusy if hashing is saturated."""
    password_hash = await passwords.hash(body.password)
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
    throttle: Throttle
    passwords: PasswordWork

    async def login(self, body: UserLogin, client: str) -> User:
        """The account, if the password is right; failures are counted per canonical email."""
        email = canonical_email(str(body.email))
        retry_after = await self.throttle.check(email, client)
        if retry_after:
            raise LoginThrottled(retry_after)
        user = await self.users.by_email(email)
        await self.users.release()  # no connection held while waiting for a hashing slot
        stored_hash = user.password_hash if user is not None and user.is_active else None
        if not await self.passwords.verify(stored_hash, body.password) or user is None:
            await self.throttle.failed(email, client)
            raise BadCredentials
        await self.throttle.succeeded(email)
        rehashed = await self.passwords.hash(body.password) if needs_rehash(user.password_hash) else None
        await self.users.touch(user, password_hash=rehashed)
        return user
