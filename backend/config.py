"""All configuration, in one place: environment variables with the NEUROTUNE_ prefix (or `.env`).

Every key is documented in `.env.example`. Import `get_settings()`; never read `os.environ` elsewhere.
"""

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_SECRET_FILE_NAME = "secret_key"  # noqa: S105 - a file name, not a secret


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEUROTUNE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Where the SQLite file and secrets live.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default is a SQLite file in data_dir. "
        "MySQL/MariaDB: mysql+asyncmy://user:pass@host:3306/db",
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Signs access tokens. Unset: generated once and kept in data_dir (0600)."
    )
    access_token_expire_min: int = Field(default=720, ge=1, le=60 * 24 * 30)
    redis_url: str | None = Field(
        default=None,
        description="Redis for state shared by several workers (live sessions, login throttle, scans, "
        "the model queue), e.g. redis://127.0.0.1:6379/0. Unset: one process keeps it in memory.",
    )
    redis_prefix: str = Field(
        default="neurotune", min_length=1, max_length=40, description="Prefix of every Redis key."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, description="Larger request bodies get 413.")
    max_header_bytes: int = Field(
        default=16 * 1024, ge=4096, description="Requests whose headers (and URL) are larger get 431."
    )
    login_max_failures: int = Field(default=5, ge=1, description="Failed logins per email before 429.")
    login_max_failures_per_client: int = Field(default=20, ge=1, description="Same, per client address.")
    login_window_sec: int = Field(default=15 * 60, ge=1, description="How long failures are remembered.")
    password_hash_concurrency: int = Field(
        default=2, ge=1, le=64, description="Password hashes at once (argon2id: 64 MiB and a core each)."
    )
    password_hash_wait_sec: float = Field(
        default=10.0, gt=0, description="How long a sign-up or login waits for a hashing slot (then 503)."
    )
    db_health_timeout_sec: float = Field(default=2.0, gt=0)
    db_write_probe_interval_sec: float = Field(
        default=5.0,
        ge=0,
        description="/health writes its probe row at most this often; between probes it reports the last "
        "result and its age.",
    )
    db_write_probe_timeout_sec: float = Field(
        default=5.0, gt=0, description="A probe write not committed within this counts as refused."
    )
    data_dir_min_free_mb: float = Field(
        default=100.0, ge=0, description="Less free space than this in data_dir makes /health degraded."
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Extra browser origins allowed to call the API (JSON list)."
    )
    ws_lookahead_sec: float = Field(
        default=10.0, gt=0, le=120, description="Live sessions send each step this long before it begins."
    )
    ws_heartbeat_sec: float = Field(
        default=15.0, gt=0, description="Idle live streams send a heartbeat this often."
    )
    ws_auth_timeout_sec: float = Field(default=5.0, gt=0, description="Time a socket has to authenticate.")
    session_abandon_grace_sec: float = Field(
        default=600.0,
        gt=0,
        description="A session nobody listened to the end is closed as abandoned this long after its "
        "schedule ran out.",
    )
    session_max_pause_sec: float = Field(
        default=12 * 3600, gt=0, description="A session paused longer than this is closed as abandoned."
    )
    session_sweep_interval_sec: float = Field(
        default=60.0, gt=0, description="How often abandoned sessions are looked for."
    )
    refine_deadline_sec: float = Field(
        default=20.0, gt=0, description="How long a background refinement may take before it is dropped."
    )
    refine_max_pending: int = Field(
        default=8,
        ge=1,
        le=1000,
        description="Background refinements waiting or running at once; more starts keep the planner's "
        "schedule (recorded as busy).",
    )
    llm_model: str = Field(
        default="bundled",
        description='"bundled" (SmolLM2-135M-Instruct, prepared by `make setup`), "none" (planner only), '
        "a local model folder, or a Hugging Face model id already in the local cache.",
    )
    models_dir: Path = Field(
        default=Path("data/models"),
        description="Where prepared models are kept (the bundled one, converted).",
    )
    llm_allow_download: bool = Field(
        default=False, description="Let a Hugging Face model id be downloaded at start-up (off: private)."
    )
    llm_threads: int = Field(default=2, ge=1, le=64, description="CPU threads the model may use.")
    llm_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="How much lower the model's process runs than the web server (Unix nice, 0-19): "
        "the model gets the CPU that requests leave.",
    )
    llm_deadline_sec: float = Field(
        default=8.0, gt=0, le=120, description="After this, the planner's schedule stands (model too slow)."
    )
    llm_queue_max: int = Field(
        default=8, ge=0, description="Requests waiting for the model beyond this get 503 + Retry-After."
    )
    llm_queue_per_user: int = Field(
        default=2, ge=1, description="Requests one user may have waiting for the model (more: 503)."
    )
    llm_cache_size: int = Field(default=256, ge=0, description="Generated schedules kept for reuse.")
    model_worker: bool = Field(
        default=False,
        description="Send model work over Redis to `neurotune model-worker` instead of loading the model "
        "in this process (one model per host). Needs redis_url.",
    )
    model_worker_accept_sec: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="A request no model worker has taken within this leaves the planner's schedule.",
    )
    web_dir: Path = Field(
        default=Path(__file__).resolve().parent.parent / "frontend" / "out",
        description="The built web app (next build's static export), served on the API's port.",
    )
    library_roots: list[Path] = Field(
        default_factory=lambda: [Path("local_library")],
        min_length=1,
        description="Folders music may be scanned and streamed from (JSON list); the first is the "
        "default scan target, is created at start-up if missing, and anchors relative scan paths.",
    )
    scan_workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, le=64, description="Analysis processes per scan."
    )
    scan_file_timeout_sec: float = Field(
        default=60.0, gt=0, description="A file whose analysis takes longer is recorded as failed."
    )
    render_concurrency: int = Field(
        default=1,
        ge=1,
        le=16,
        description="Audio files rendered at once (each takes a core); one more gets 503 + Retry-After.",
    )
    stream_url_ttl_sec: int = Field(
        default=6 * 3600, ge=60, le=7 * 24 * 3600, description="Lifetime of the signed stream URLs."
    )
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _model_worker_needs_redis(self) -> "Settings":
        if self.model_worker and self.redis_url is None:
            raise ValueError(
                "NEUROTUNE_MODEL_WORKER=true needs NEUROTUNE_REDIS_URL (the model worker's queue)"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'neurotune.db').resolve()}"

    def token_secret(self) -> str:
        """The token signing key: configured, or generated once and kept private on disk."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return _load_or_create_secret(self.data_dir / _SECRET_FILE_NAME)


def _load_or_create_secret(path: Path) -> str:
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # Written whole under a private name, then linked into place: a worker starting at the same
    # moment either wins or reads the winner's complete key, never a half-written (empty) one.
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret)
    try:
        os.link(draft, path)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    finally:
        draft.unlink()
    return secret


@lru_cache
def get_settings() -> Settings:
    return Settings()
