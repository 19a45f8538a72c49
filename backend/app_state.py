"""What one running app holds: settings, the database engine and the login throttle."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.live.hub import SessionHub
from backend.security.login_throttle import LoginThrottle


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    token_secret: str
    login_throttle: LoginThrottle
    hub: SessionHub
    llm_status: str = "not_configured"
