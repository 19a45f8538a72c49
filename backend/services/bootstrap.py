"""Bringing a database to the current schema and seeding it; safe to run any number of times.

`main.py` runs it at start-up and `neurotune init-db` from the command line.
"""

from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.database import create_session_factory
from backend.db.migrate import upgrade_engine
from backend.db.queries import PromptQueries
from backend.llm_engine.prompts import DEFAULT_PROMPTS, SUPERSEDED_TEMPLATES


async def prepare_database(engine: AsyncEngine) -> int:
    """Migrate to head and seed the prompt templates; returns the number of templates added."""
    await upgrade_engine(engine)
    async with create_session_factory(engine)() as db:
        return await PromptQueries(db).seed(DEFAULT_PROMPTS, SUPERSEDED_TEMPLATES)
