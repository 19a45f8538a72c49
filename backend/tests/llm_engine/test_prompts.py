"""Prompt templates: seeding, and the placeholders, including {history} from the user's ratings."""

import httpx
from sqlalchemy import select

from backend.db.queries import PromptQueries
from backend.insights import learned_for
from backend.llm_engine.prompts import (
    DEFAULT_PROMPTS,
    PLACEHOLDERS,
    SUPERSEDED_TEMPLATES,
    render_prompt,
)
from backend.models.orm import Prompt, User
from backend.schedules.intents import classify_intent
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
    for placeholder in PLACEHOLDERS:
        assert "{" + placeholder + "}" in template


async def test_setup_upgrades_an_old_default_but_never_an_edited_template(app) -> None:
    seed = DEFAULT_PROMPTS[0]
    old_default = next(iter(SUPERSEDED_TEMPLATES))
    async with app.state.neurotune.session_factory() as db:
        row = (await db.execute(select(Prompt).where(Prompt.name == seed.name))).scalar_one()
        row.template, row.version = old_default, 1
        await db.commit()
        assert await PromptQueries(db).seed(DEFAULT_PROMPTS, SUPERSEDED_TEMPLATES) == 0
        await db.refresh(row)
        assert (row.template, row.version) == (seed.template, seed.version)

        row.template, row.version = "my own words {intent}", 1
        await db.commit()
        await PromptQueries(db).seed(DEFAULT_PROMPTS, SUPERSEDED_TEMPLATES)
        await db.refresh(row)
        assert (row.template, row.version) == ("my own words {intent}", 1)


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
        history = (await learned_for(db, owner, classify_intent("coding"))).best_rated

    assert [item["rating"] for item in history] == [5, 4]  # focus family, 4 stars or more, best first
    assert {item["intent"] for item in history} == {"deep focus: coding", "study for exams"}
    rendered = render_prompt(DEFAULT_PROMPTS[0].template, {"history": history})
    assert "deep focus: coding" in rendered
    assert "{history}" not in rendered
