"""CRUD query classes the routers call. Each method is one unit of work on one AsyncSession."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models.identity import canonical_email, canonical_username
from backend.models.listening_time import listened_sec
from backend.models.orm import EndReason, ListeningSession, Preset, Prompt, User, utcnow
from backend.schedules.listener import Neurotype
from backend.schedules.refiner import RefinementOutcome


class AlreadyExists(Exception):
    """A unique field (username or email) is taken."""


class AlreadyEnded(Exception):
    """The session was ended before."""


def _total_sec(schedule: Any) -> float:
    total = schedule.get("total_duration_sec") if isinstance(schedule, dict) else None
    return float(total) if isinstance(total, int | float) else 0.0


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
        self,
        *,
        user: User,
        intent: str,
        schedule: dict[str, Any],
        refinement: RefinementOutcome | None,
        explanation: dict[str, Any] | None = None,
    ) -> ListeningSession:
        session = ListeningSession(
            user_id=user.id, intent=intent, schedule=schedule, refinement=refinement, explanation=explanation
        )
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
        self,
        session: ListeningSession,
        *,
        ended_at: datetime,
        reason: EndReason,
        rating: int | None = None,
        feedback_note: str | None = None,
    ) -> ListeningSession:
        """End once, with the listened time: the conditional UPDATE makes two concurrent ends (a
        listener and the sweeper, two processes) produce exactly one winner; raises AlreadyEnded
        for the others."""
        listened = listened_sec(session.started_at, session.paused_sec, session.paused_at, ended_at)
        total_sec = _total_sec(session.schedule)
        result = await self.db.execute(
            update(ListeningSession)
            .where(ListeningSession.id == session.id, ListeningSession.ended_at.is_(None))
            .values(
                ended_at=ended_at,
                duration_sec=int(min(listened, total_sec) if total_sec else listened),
                end_reason=reason,
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

    async def rate(self, session: ListeningSession, *, rating: int | None, feedback_note: str | None) -> None:
        """Add a rating or note to an ended session that has none yet (rating it later)."""
        values: dict[str, Any] = {}
        if rating is not None:
            values["rating"] = rating
        if feedback_note is not None:
            values["feedback_note"] = feedback_note
        if values:
            await self.db.execute(
                update(ListeningSession)
                .where(ListeningSession.id == session.id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            await self.db.commit()
            await self.db.refresh(session)

    async def pause(self, session: ListeningSession, at: datetime) -> bool:
        """Stop the session's clock; False if it had ended or was paused already."""
        result = await self.db.execute(
            update(ListeningSession)
            .where(
                ListeningSession.id == session.id,
                ListeningSession.ended_at.is_(None),
                ListeningSession.paused_at.is_(None),
            )
            .values(paused_at=at)
            .execution_options(synchronize_session=False)
        )
        await self.db.commit()
        await self.db.refresh(session)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def resume(self, session: ListeningSession, at: datetime) -> bool:
        """Start the clock again where it stopped; False if it had ended or was not paused."""
        if session.paused_at is None:
            return False
        paused_for = max(0.0, (at - session.paused_at).total_seconds())
        result = await self.db.execute(
            update(ListeningSession)
            .where(
                ListeningSession.id == session.id,
                ListeningSession.ended_at.is_(None),
                ListeningSession.paused_at == session.paused_at,
            )
            .values(paused_at=None, paused_sec=ListeningSession.paused_sec + paused_for)
            .execution_options(synchronize_session=False)
        )
        await self.db.commit()
        await self.db.refresh(session)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def set_favourite(self, session: ListeningSession, favourite: bool) -> None:
        session.favourite = favourite
        await self.db.commit()

    async def open_before(self, started_before: datetime, limit: int) -> list[ListeningSession]:
        """Sessions that have not ended and started before `started_before` (the sweeper's
        candidates), oldest first."""
        result = await self.db.execute(
            select(ListeningSession)
            .where(ListeningSession.ended_at.is_(None), ListeningSession.started_at < started_before)
            .order_by(ListeningSession.started_at)
            .limit(limit)
        )
        return list(result.scalars())

    async def replace_schedule(
        self,
        session: ListeningSession,
        schedule: dict[str, Any],
        prompt: tuple[int | None, int | None] = (None, None),
        model_note: dict[str, Any] | None = None,
    ) -> None:
        """Store a refined schedule (the caller has validated it and kept the past intact), and
        what the model changed in the session's explanation."""
        session.schedule = schedule
        session.prompt_id, session.prompt_version = prompt
        session.refinement = "applied"
        if model_note is not None and session.explanation is not None:
            session.explanation = {**session.explanation, "model": model_note}
        await self.db.commit()

    async def replace_plan(
        self, session: ListeningSession, schedule: dict[str, Any], explanation: dict[str, Any]
    ) -> None:
        """Store a re-planned future (validated, past kept) and the new plan's explanation; the
        schedule is the planner's again, so no model template stands behind it."""
        session.schedule = schedule
        session.explanation = explanation
        session.prompt_id = session.prompt_version = None
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

    async def history(
        self, user_id: int, *, limit: int, offset: int, favourite: bool | None = None
    ) -> tuple[list[ListeningSession], int]:
        """One page of the user's sessions, newest first, and how many there are in all."""
        matches = ListeningSession.user_id == user_id
        if favourite is not None:
            matches = and_(matches, ListeningSession.favourite.is_(favourite))
        result = await self.db.execute(
            select(ListeningSession)
            .where(matches)
            .order_by(ListeningSession.started_at.desc(), ListeningSession.id.desc())
            .limit(limit)
            .offset(offset)
        )
        total = await self.db.scalar(select(func.count()).select_from(ListeningSession).where(matches))
        return list(result.scalars()), int(total or 0)


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


class PresetNameTaken(Exception):
    """The user already has a preset with this name."""


@dataclass
class PresetQueries:
    db: AsyncSession

    async def create(
        self,
        *,
        user_id: int,
        name: str,
        intent: str,
        duration_min: int,
        chosen_family: str | None,
        schedule: dict[str, Any] | None,
    ) -> Preset:
        preset = Preset(
            user_id=user_id,
            name=name,
            intent=intent,
            duration_min=duration_min,
            chosen_family=chosen_family,
            schedule=schedule,
        )
        self.db.add(preset)
        try:
            await self.db.commit()
        except IntegrityError as error:
            await self.db.rollback()
            raise PresetNameTaken from error
        return preset

    async def owned(self, preset_id: int, user_id: int) -> Preset | None:
        result = await self.db.execute(
            select(Preset).where(Preset.id == preset_id, Preset.user_id == user_id)
        )
        return result.scalar_one_or_none()

    async def of_user(self, user_id: int) -> list[Preset]:
        result = await self.db.execute(select(Preset).where(Preset.user_id == user_id).order_by(Preset.name))
        return list(result.scalars())

    async def delete(self, preset: Preset) -> None:
        await self.db.delete(preset)
        await self.db.commit()
