"""Bring a database to the current schema and seed it; safe to run any number of times."""

from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.database import create_session_factory
from backend.db.migrate import upgrade_engine
from backend.llm_engine.prompts import seed_prompts


async def prepare_database(engine: AsyncEngine) -> int:
    """Migrate to head and seed the prompt templates; returns the number of templates added."""
    await upgrade_engine(engine)
    async with create_session_factory(engine)() as db:
        return await seed_prompts(db)
