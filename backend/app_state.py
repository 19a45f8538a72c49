"""What one running app holds: settings, the database engine and the login throttle."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.live.hub import SessionHub
from backend.live.modulation_loop import ModulationLoop
from backend.security.login_throttle import LoginThrottle


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    token_secret: str
    login_throttle: LoginThrottle
    hub: SessionHub
    modulation_loop: ModulationLoop
    llm_status: str = "not_configured"
