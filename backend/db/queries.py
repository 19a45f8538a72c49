"""CRUD query classes the routers call. Each method is one unit of work on one AsyncSession."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models.identity import canonical_email, canonical_username
from backend.models.orm import ListeningSession, Prompt, User, utcnow
from backend.schedules.listener import Neurotype
from backend.schedules.refiner import RefinementOutcome


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
            email=email,
            email_key=canonical_email(email),
            username_key=canonical_username(username),
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
        """The account whose email is `email` in canonical form (models.identity)."""
        result = await self.db.execute(select(User).where(User.email_key == canonical_email(email)))
        return result.scalar_one_or_none()

    async def release(self) -> None:
        """End the read: the connection goes back to the pool while the caller does slow work."""
        await self.db.commit()

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

    async def create(
        self, *, user: User, intent: str, schedule: dict[str, Any], refinement: RefinementOutcome | None
    ) -> ListeningSession:
        session = ListeningSession(user_id=user.id, intent=intent, schedule=schedule, refinement=refinement)
        user.last_active = utcnow()
        self.db.add(session)
        await self.db.commit()
        return session

    async def owned(self, session_id: int, user_id: int) -> ListeningSession | None:
        """The session if it exists *and* belongs to the user; others' sessions look absent."""
        result = await self.db.execute(
            select(ListeningSession).where(
                ListeningSession.id == session_id, ListeningSession.user_id == user_id
            )
        )
        return result.scalar_one_or_none()

    async def end(
        self, session: ListeningSession, *, ended_at: datetime, rating: int | None, feedback_note: str | None
    ) -> ListeningSession:
        """End once: the conditional UPDATE makes two concurrent ends produce exactly one winner."""
        duration_sec = max(0, int((ended_at - session.started_at).total_seconds()))
        result = await self.db.execute(
            update(ListeningSession)
            .where(ListeningSession.id == session.id, ListeningSession.ended_at.is_(None))
            .values(
                ended_at=ended_at,
                duration_sec=duration_sec,
                rating=rating,
                feedback_note=feedback_note,
                # A refinement still waiting for the model will never be needed now.
                refinement=case(
                    (ListeningSession.refinement == "pending", "ended"), else_=ListeningSession.refinement
                ),
            )
            .execution_options(synchronize_session=False)
        )
        await self.db.commit()
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise AlreadyEnded
        await self.db.refresh(session)
        return session

    async def replace_schedule(
        self,
        session: ListeningSession,
        schedule: dict[str, Any],
        prompt: tuple[int | None, int | None] = (None, None),
    ) -> None:
        """Store a refined schedule (the caller has validated it and kept the past intact)."""
        session.schedule = schedule
        session.prompt_id, session.prompt_version = prompt
        session.refinement = "applied"
        await self.db.commit()

    async def record_refinement(self, session_id: int, outcome: RefinementOutcome) -> None:
        """What became of a pending refinement (an outcome already recorded is kept)."""
        await self.db.execute(
            update(ListeningSession)
            .where(ListeningSession.id == session_id, ListeningSession.refinement == "pending")
            .values(refinement=outcome)
            .execution_options(synchronize_session=False)
        )
        await self.db.commit()

    async def history(self, user_id: int, *, limit: int, offset: int) -> list[ListeningSession]:
        result = await self.db.execute(
            select(ListeningSession)
            .where(ListeningSession.user_id == user_id)
            .order_by(ListeningSession.started_at.desc(), ListeningSession.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(result.scalars())


class PromptDefault(Protocol):
    """A template as shipped (llm_engine.prompts.PromptSeed)."""

    @property
    def name(self) -> str: ...
    @property
    def template(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def model(self) -> str: ...


@dataclass
class PromptQueries:
    db: AsyncSession

    async def active(self, name: str) -> Prompt | None:
        """The template called `name` if it is active, else None (the built-in default answers)."""
        row: Prompt | None = (
            await self.db.execute(select(Prompt).where(Prompt.name == name, Prompt.is_active.is_(True)))
        ).scalar_one_or_none()
        return row

    async def seed(self, defaults: Iterable[PromptDefault], superseded: frozenset[str]) -> int:
        """Insert the default templates that are missing (by name); returns how many were added.

        A stored default from an earlier release, still exactly as seeded (its text is in
        `superseded`), is upgraded in place; rows the user edited are left alone.
        """
        stored = {prompt.name: prompt for prompt in (await self.db.execute(select(Prompt))).scalars()}
        added = 0
        for seed in defaults:
            row = stored.get(seed.name)
            if row is None:
                self.db.add(
                    Prompt(name=seed.name, template=seed.template, version=seed.version, model=seed.model)
                )
                added += 1
            elif row.version < seed.version and row.template in superseded:
                row.template, row.version, row.model = seed.template, seed.version, seed.model
        await self.db.commit()
        return added
