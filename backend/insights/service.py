"""Insights for the app: rated sessions from the database, offsets for the planner, the report.

Reads only ended, rated sessions joined with their user's neurotype, newest first and bounded,
so a request's cost does not grow with the history. Summarising a stored schedule costs far
more than reading its id, so each engine keeps the summaries it has made: a request reads the
ids it wants and fetches only schedules it has not seen (a finished session never changes).
The caller's own sessions are checked on every request, so a rating counts from the very next
session; everyone else's, and the model fitted on them, are refreshed every `POOL_TTL_SEC`.
"""

import asyncio
import json
import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, Text, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.insights.features import RatedSession, sessions_frame
from backend.insights.model import PreferenceModel
from backend.insights.recommend import best_rated_schedules, insights_report, planning_offsets
from backend.insights.schemas import InsightsReport
from backend.llm_engine.planner import PlannerOffsets, classify_intent
from backend.models.enums import Neurotype
from backend.models.orm import Session, User

logger = logging.getLogger(__name__)

OWN_LIMIT = 500
"""The caller's most recent rated sessions that are read (all families together)."""

POOL_LIMIT = 5000
"""Everyone's most recent rated sessions, which make up the neurotype and everyone levels."""

POOL_TTL_SEC = 30.0
"""Others' sessions are looked at again, and the model refitted if they changed, this often."""

OWN_CACHE_USERS = 1000
"""Users whose summarised sessions each engine keeps (least recently used go first)."""

_ID_CHUNK = 500
"""Ids per `IN (...)` when fetching schedules, well inside every driver's parameter limit."""


@dataclass(frozen=True)
class _Rows:
    """Rated sessions already read and summarised, and every id looked at (readable or not)."""

    frame: pd.DataFrame
    seen_ids: frozenset[int]


@dataclass(frozen=True)
class _Pool:
    rows: _Rows
    model: PreferenceModel
    checked_at: float


@dataclass
class _EngineCache:
    pool: _Pool | None = None
    own: "OrderedDict[int, _Rows]" = field(default_factory=OrderedDict)


_caches: "weakref.WeakKeyDictionary[AsyncEngine, _EngineCache]" = weakref.WeakKeyDictionary()
_rng = np.random.default_rng()


async def load_rated_sessions(db: AsyncSession, *, user_id: int | None = None, limit: int) -> pd.DataFrame:
    """The newest `limit` ended, rated sessions (of `user_id`, or everyone's) as a sessions frame."""
    rows = await _refresh(db, None, user_id=user_id, limit=limit)
    return rows.frame


async def learned_offsets(db: AsyncSession, user: User, intent: str) -> PlannerOffsets | None:
    """Offsets for `user`'s next session with `intent`, or None if insights fail.

    Failure of any kind is logged and answered with None: the planner then plays its default,
    and starting a session never fails because of insights. The reads use a session of their
    own, so a failed read cannot spoil the caller's transaction.
    """
    try:
        async with AsyncSession(db.bind) as reader:
            pool = await _pool(reader)
            own = await _own_rows(reader, user)
        recommendation = pool.model.including(own).recommend(
            user.id, Neurotype(user.neurotype).value, classify_intent(intent)
        )
        variety = 0.5 if user.neurotype == Neurotype.autism else 1.0
        return planning_offsets(recommendation, _rng, variety)
    except Exception:
        logger.exception("insights failed for user %s; planning without learned offsets", user.id)
        return None


async def best_rated_history(db: AsyncSession, user: User, intent: str, k: int = 3) -> list[dict[str, Any]]:
    """The user's best-rated schedules in `intent`'s family, for the prompt's {history}; [] on failure."""
    try:
        async with AsyncSession(db.bind) as reader:
            own = await _own_rows(reader, user)
        return best_rated_schedules(own, user.id, classify_intent(intent).name, k)
    except Exception:
        logger.exception("insights failed for user %s; prompting without history", user.id)
        return []


async def insights_for(db: AsyncSession, user: User) -> InsightsReport:
    """The report for GET /insights/me: the caller's own sessions, and others' only as aggregates."""
    pool = await _pool(db)
    own = await _own_rows(db, user)
    others = pool.rows.frame.loc[pool.rows.frame["user_id"] != user.id]
    frame = pd.concat([others, own], ignore_index=True) if not others.empty else own
    return await asyncio.to_thread(insights_report, frame, user.id, Neurotype(user.neurotype).value)


def _cache(db: AsyncSession) -> _EngineCache:
    engine = db.bind
    if not isinstance(engine, AsyncEngine):
        return _EngineCache()  # bound to a connection: nothing to share
    return _caches.setdefault(engine, _EngineCache())


async def _pool(db: AsyncSession) -> _Pool:
    """Everyone's recent sessions and the model fitted on them, at most `POOL_TTL_SEC` old."""
    cache = _cache(db)
    pool = cache.pool
    if pool is not None and time.monotonic() - pool.checked_at < POOL_TTL_SEC:
        return pool
    rows = await _refresh(db, pool.rows if pool else None, user_id=None, limit=POOL_LIMIT)
    if pool is None or rows.seen_ids != pool.rows.seen_ids:
        model = await asyncio.to_thread(PreferenceModel, rows.frame)
    else:
        model = pool.model
    cache.pool = _Pool(rows, model, time.monotonic())
    return cache.pool


async def _own_rows(db: AsyncSession, user: User) -> pd.DataFrame:
    """The user's recent rated sessions, read fresh (only new schedules are fetched)."""
    cache = _cache(db)
    rows = await _refresh(db, cache.own.get(user.id), user_id=user.id, limit=OWN_LIMIT)
    cache.own[user.id] = rows
    cache.own.move_to_end(user.id)
    while len(cache.own) > OWN_CACHE_USERS:
        cache.own.popitem(last=False)
    # Under the neurotype they have now, even if they changed it since these were read.
    return rows.frame.assign(neurotype=Neurotype(user.neurotype).value)


def _rated(query: Select[Any], user_id: int | None) -> Select[Any]:
    query = query.where(Session.rating.is_not(None), Session.ended_at.is_not(None))
    return query if user_id is None else query.where(Session.user_id == user_id)


async def _refresh(db: AsyncSession, known: _Rows | None, *, user_id: int | None, limit: int) -> _Rows:
    """The newest `limit` rated sessions, reusing the summaries in `known`."""
    ids_query = _rated(select(Session.id), user_id).order_by(Session.id.desc()).limit(limit)
    wanted = frozenset((await db.execute(ids_query)).scalars())
    if known is not None and known.seen_ids == wanted:
        return known
    missing = wanted - known.seen_ids if known is not None else wanted
    fetched = await _fetch(db, sorted(missing))
    kept = known.frame.loc[known.frame["session_id"].isin(wanted)] if known is not None else fetched.iloc[:0]
    parts = [part for part in (kept, fetched) if not part.empty]
    return _Rows(pd.concat(parts, ignore_index=True) if parts else fetched, wanted)


async def _fetch(db: AsyncSession, session_ids: Collection[int]) -> pd.DataFrame:
    """Summaries of the given sessions (unreadable schedules are left out)."""
    ids = list(session_ids)
    rows: list[Any] = []
    for start in range(0, len(ids), _ID_CHUNK):
        query = (
            select(
                Session.id,
                Session.user_id,
                User.neurotype,
                Session.intent,
                # Raw JSON text: decoding it is CPU work, done with the rest off the event loop.
                type_coerce(Session.schedule, Text),
                Session.rating,
                Session.started_at,
            )
            .join(User, User.id == Session.user_id)
            .where(Session.id.in_(ids[start : start + _ID_CHUNK]))
        )
        rows.extend((await db.execute(query)).all())
    if len(rows) < 50:  # a thread hop costs more than a few summaries
        return _frame(rows)
    return await asyncio.to_thread(_frame, rows)


def _frame(rows: Sequence[Any]) -> pd.DataFrame:
    return sessions_frame(session for row in rows if (session := _rated_session(row)) is not None)


def _rated_session(row: Any) -> RatedSession | None:
    session_id, user_id, neurotype, intent, schedule_text, rating, started_at = row
    try:
        schedule = json.loads(schedule_text) if isinstance(schedule_text, str | bytes) else schedule_text
    except ValueError:
        return None
    if not isinstance(schedule, dict):
        return None
    return RatedSession(
        session_id=session_id,
        user_id=user_id,
        neurotype=Neurotype(neurotype).value,
        intent=intent,
        schedule=schedule,
        rating=float(rating),
        started_at=started_at,
    )
