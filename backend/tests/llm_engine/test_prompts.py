"""Prompt templates: seeding, and the placeholders, including {history} from the user's ratings."""

import httpx

from backend.insights import best_rated_history
from backend.llm_engine.prompts import DEFAULT_PROMPTS, render_prompt
from backend.models.orm import User
from backend.tests.factories import UserFactory


def test_known_placeholders_are_filled_and_values_cannot_inject_new_ones() -> None:
    text = render_prompt(
        "Plan {intent} for {duration_min} min ({neurotype}); liked: {history}; {unknown} stays",
        {
            "intent": "read {history} please",
            "duration_min": 30,
            "neurotype": "adhd",
            "history": [{"rating": 5}],
        },
    )
    assert text == 'Plan read {history} please for 30 min (adhd); liked: [{"rating":5}]; {unknown} stays'


def test_the_seeded_template_uses_every_placeholder() -> None:
    template = DEFAULT_PROMPTS[0].template
    for placeholder in ("intent", "duration_min", "current_bpm", "neurotype", "preferences", "history"):
        assert "{" + placeholder + "}" in template


async def test_history_carries_the_users_best_rated_sessions_of_that_kind(
    app, client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    ratings = {"deep focus: coding": 5, "study for exams": 4, "focus please": 2, "sleep": 5}
    for intent, rating in ratings.items():
        session_id = await users.start_session(user, intent)
        await client.patch(f"/sessions/{session_id}/end", json={"rating": rating}, headers=user.headers)

    async with app.state.neurotune.session_factory() as db:
        owner = await db.get(User, user.id)
        assert owner is not None
        history = await best_rated_history(db, owner, "coding")

    assert [item["rating"] for item in history] == [5, 4]  # focus family, 4 stars or more, best first
    assert {item["intent"] for item in history} == {"deep focus: coding", "study for exams"}
    rendered = render_prompt(DEFAULT_PROMPTS[0].template, {"history": history})
    assert "deep focus: coding" in rendered
    assert "{history}" not in rendered
