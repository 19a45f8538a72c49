import stat
from pathlib import Path
from typing import Any

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


def test_configured_secret_wins_and_writes_nothing(tmp_path: Path) -> None:
    assert _settings(tmp_path, secret_key="from-env" * 6).token_secret() == "from-env" * 6
    assert not (tmp_path / "secret_key").exists()


def test_default_database_is_sqlite_in_data_dir(tmp_path: Path) -> None:
    url = _settings(tmp_path).resolved_database_url
    assert url == f"sqlite+aiosqlite:///{(tmp_path / 'neurotune.db').resolve()}"


def test_environment_prefix_is_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NEUROTUNE_PORT", "9123")
    assert _settings(tmp_path).port == 9123
