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
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.insights.features import RatedSession, sessions_frame
from backend.insights.model import PreferenceModel
from backend.insights.recommend import best_rated_schedules, insights_report, learned_note, planning_offsets
from backend.insights.schemas import InsightsReport
from backend.models.orm import ListeningSession, User
from backend.schedules.explain import LearnedNote
from backend.schedules.hold import PlannerOffsets
from backend.schedules.intents import IntentFamily
from backend.schedules.listener import Neurotype

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


@dataclass(frozen=True)
class Learned:
    """What a listener's ratings teach about their next session of one kind."""

    offsets: PlannerOffsets | None
    """For the planner: the recommendation, varied a little (None: play the default)."""
    best_rated: list[dict[str, Any]]
    """Their best-rated sessions of this kind, for the prompt's {history}."""
    note: LearnedNote | None = None
    """The recommendation in plain words, for the plan's explanation."""


async def learned_for(db: AsyncSession, user: User, family: IntentFamily, k: int = 3) -> Learned:
    """Offsets and best-rated history for `user`'s next session of `family`, read on `db`.

    Reads everyone's recent rated sessions (cached for `POOL_TTL_SEC`) and the user's own, on the
    caller's unit of work: no second connection. A database error propagates (the caller
    answers 503); any other failure is logged and answered with nothing learned, so starting a
    session never fails because of insights.
    """
    try:
        pool = await _pool(db)
        own = await _own_rows(db, user)
    except DBAPIError:
        raise
    except Exception:
        logger.exception("insights failed for user %s; planning without learned offsets or history", user.id)
        return Learned(offsets=None, best_rated=[])
    try:
        recommendation = pool.model.including(own).recommend(user.id, Neurotype(user.neurotype).value, family)
        variety = 0.5 if user.neurotype == Neurotype.autism else 1.0
        offsets: PlannerOffsets | None = planning_offsets(recommendation, _rng, variety)
        note: LearnedNote | None = learned_note(recommendation, family)
    except Exception:
        logger.exception("insights failed for user %s; planning without learned offsets", user.id)
        offsets, note = None, None
    return Learned(offsets=offsets, best_rated=best_rated_schedules(own, user.id, family.name, k), note=note)


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
    query = query.where(ListeningSession.rating.is_not(None), ListeningSession.ended_at.is_not(None))
    return query if user_id is None else query.where(ListeningSession.user_id == user_id)


async def _refresh(db: AsyncSession, known: _Rows | None, *, user_id: int | None, limit: int) -> _Rows:
    """The newest `limit` rated sessions, reusing the summaries in `known`."""
    ids_query = _rated(select(ListeningSession.id), user_id).order_by(ListeningSession.id.desc()).limit(limit)
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
                ListeningSession.id,
                ListeningSession.user_id,
                User.neurotype,
                ListeningSession.intent,
                # Raw JSON text: decoding it is CPU work, done with the rest off the event loop.
                type_coerce(ListeningSession.schedule, Text),
                ListeningSession.rating,
                ListeningSession.started_at,
            )
            .join(User, User.id == ListeningSession.user_id)
            .where(ListeningSession.id.in_(ids[start : start + _ID_CHUNK]))
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
