import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from backend.config import Settings


def _settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(data_dir=tmp_path, _env_file=None, **values)


def test_secret_is_generated_once_private_and_stable(tmp_path: Path) -> None:
    first = _settings(tmp_path).token_secret()
    second = _settings(tmp_path).token_secret()
    assert first == second
    assert len(first) >= 48
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_workers_starting_together_all_read_one_whole_secret(tmp_path: Path) -> None:
    """`serve --workers N` starts N processes at once over one data_dir: each must end with the
    same complete key (an empty one would sign tokens anyone can forge)."""
    script = "from backend.config import Settings; import sys; print(Settings(_env_file=None).token_secret())"
    env = {**os.environ, "NEUROTUNE_DATA_DIR": str(tmp_path)}
    env.pop("NEUROTUNE_SECRET_KEY", None)
    starts = [
        subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    secrets = {process.communicate(timeout=60)[0].strip() for process in starts}
    assert secrets == {(tmp_path / "secret_key").read_text(encoding="ascii")}
    assert len(secrets.pop()) >= 48
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]  # no drafts left behind


def test_model_worker_needs_redis(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="NEUROTUNE_REDIS_URL"):
        _settings(tmp_path, model_worker=True)
    assert _settings(tmp_path, model_worker=True, redis_url="redis://127.0.0.1:6379/0").model_worker


def test_configured_secret_wins_and_writes_nothing(tmp_path: Path) -> None:
    assert _settings(tmp_path, secret_key="from-env" * 6).token_secret() == "from-env" * 6
    assert not (tmp_path / "secret_key").exists()


def test_default_database_is_sqlite_in_data_dir(tmp_path: Path) -> None:
    url = _settings(tmp_path).resolved_database_url
    assert url == f"sqlite+aiosqlite:///{(tmp_path / 'neurotune.db').resolve()}"


def test_environment_prefix_is_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NEUROTUNE_PORT", "9123")
    assert _settings(tmp_path).port == 9123
