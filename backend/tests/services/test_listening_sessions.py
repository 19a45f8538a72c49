"""What one POST /sessions/start costs: database connections taken and intent classifications.

Counted on the real app and a real database (SQLite and MariaDB): the pool's checkouts, and
every call of the intent classifier wherever it was imported.
"""

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi import FastAPI

from backend.schedules import intents
from backend.tests.db_probes import counted_checkouts
from backend.tests.factories import UserFactory


@contextmanager
def counted_classifications(monkeypatch: pytest.MonkeyPatch, intent: str) -> Iterator[list[int]]:
    """Readings of `intent` (`match_intent`, which `classify_intent` calls too), through every
    module that imported either.

    (Insights also classifies the sessions it summarises for the first time, e.g. the one rated
    just before: other intents, each summarised once and cached.)
    """
    count = [0]
    real = intents.match_intent

    def counting(text: str) -> intents.IntentMatch:
        count[0] += text == intent
        return real(text)

    for module in list(sys.modules.values()):
        if getattr(module, "match_intent", None) is real:
            monkeypatch.setattr(module, "match_intent", counting)
    yield count


async def test_a_start_takes_one_connection_and_classifies_the_intent_once(
    app: FastAPI, client: httpx.AsyncClient, users: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await users.create()
    for rating in (5, 3):  # rated history, so insights and the prompt's history have work to do
        session_id = await users.start_session(user, "deep focus: coding")
        await client.patch(f"/sessions/{session_id}/end", json={"rating": rating}, headers=user.headers)
    intent = "studying for my exam tomorrow"
    with counted_checkouts(app) as checkouts, counted_classifications(monkeypatch, intent) as classifications:
        response = await client.post("/sessions/start", json={"intent": intent}, headers=user.headers)
    assert response.status_code == 201
    assert checkouts[0] == 1  # the token's user, the planning context and the insert: one unit of work
    assert classifications[0] == 1
