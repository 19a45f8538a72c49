"""CRUD query classes the routers call. Each method is one unit of work on one AsyncSession."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models.enums import Neurotype
from backend.models.orm import Session, User, utcnow


class AlreadyExists(Exception):
    """A unique field (username or email) is taken."""


class AlreadyEnded(Exception):
    """The session was ended before."""


@dataclass
class UserQueries:
    db: AsyncSession

    async def create(
        self,
        *,
        username: str,
        email: str,
        password_hash: str,
        neurotype: Neurotype,
        preferences: dict[str, Any],
    ) -> User:
        user = User(
            username=username,
            email=email.lower(),
            password_hash=password_hash,
            neurotype=neurotype,
            preferences=preferences,
        )
        self.db.add(user)
        try:
            await self.db.commit()
        except IntegrityError as error:
            await self.db.rollback()
            raise AlreadyExists from error
        return user

    async def by_id(self, user_id: int) -> User | None:
        return await self.db.get(User, user_id)

    async def by_email(self, email: str) -> User | None:
        result = await self.db.execute(select(User).where(User.email == email.lower()))
        return result.scalar_one_or_none()

    async def touch(self, user: User, *, password_hash: str | None = None) -> None:
        """Record activity (and an upgraded password hash, if the parameters changed)."""
        user.last_active = utcnow()
        if password_hash is not None:
            user.password_hash = password_hash
        await self.db.commit()

    async def update_profile(
        self, user: User, *, neurotype: Neurotype | None, preferences: dict[str, Any] | None
    ) -> User:
        if neurotype is not None:
            user.neurotype = neurotype
        if preferences is not None:
            user.preferences = preferences
        await self.db.commit()
        return user


@dataclass
class SessionQueries:
    db: AsyncSession

    async def create(self, *, user: User, intent: str, schedule: dict[str, Any]) -> Session:
        session = Session(user_id=user.id, intent=intent, schedule=schedule)
        user.last_active = utcnow()
        self.db.add(session)
        await self.db.commit()
        return session

    async def owned(self, session_id: int, user_id: int) -> Session | None:
        """The session if it exists *and* belongs to the user; others' sessions look absent."""
        result = await self.db.execute(
            select(Session).where(Session.id == session_id, Session.user_id == user_id)
        )
        return result.scalar_one_or_none()

    async def end(
        self, session: Session, *, ended_at: datetime, rating: int | None, feedback_note: str | None
    ) -> Session:
        """End once: the conditional UPDATE makes two concurrent ends produce exactly one winner."""
        duration_sec = max(0, int((ended_at - session.started_at).total_seconds()))
        result = await self.db.execute(
            update(Session)
            .where(Session.id == session.id, Session.ended_at.is_(None))
            .values(ended_at=ended_at, duration_sec=duration_sec, rating=rating, feedback_note=feedback_note)
            .execution_options(synchronize_session=False)
        )
        await self.db.commit()
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise AlreadyEnded
        await self.db.refresh(session)
        return session

    async def replace_schedule(
        self, session: Session, schedule: dict[str, Any], prompt: tuple[int | None, int | None] = (None, None)
    ) -> None:
        """Store a refined schedule (the caller has validated it and kept the past intact)."""
        session.schedule = schedule
        session.prompt_id, session.prompt_version = prompt
        await self.db.commit()

    async def history(self, user_id: int, *, limit: int, offset: int) -> list[Session]:
        result = await self.db.execute(
            select(Session)
            .where(Session.user_id == user_id)
            .order_by(Session.started_at.desc(), Session.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(result.scalars())
