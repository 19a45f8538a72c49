"""What one running app holds: settings, database engine, login throttle, library scans, the model."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.db.health import DatabaseWriteProbe
from backend.library.roots import LibraryRoots
from backend.library.scan_jobs import ScanJobs
from backend.live.hub import SessionHub
from backend.live.modulation_loop import ModulationLoop
from backend.live.sweeper import SessionSweeper
from backend.llm_engine.client import ModelClient
from backend.llm_engine.engine import ScheduleEngine
from backend.security.login_throttle import LoginThrottle
from backend.security.passwords import PasswordWork


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    token_secret: str
    login_throttle: LoginThrottle
    passwords: PasswordWork
    hub: SessionHub
    sweeper: SessionSweeper
    write_probe: DatabaseWriteProbe
    modulation_loop: ModulationLoop
    library_roots: LibraryRoots
    scan_jobs: ScanJobs
    llm: ModelClient
    schedules: ScheduleEngine
