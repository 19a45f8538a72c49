"""The real `neurotune` command against a real SQLite file, in a subprocess."""

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from backend.tests.conftest import redis_url
from bench.server import free_port


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEUROTUNE_")}
    env["NEUROTUNE_DATA_DIR"] = str(tmp_path / "data")
    env["NEUROTUNE_LLM_MODEL"] = "none"
    return env


def test_init_db_creates_and_seeds_sqlite_idempotently(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "backend.cli", "init-db"]
    for _ in range(2):
        result = subprocess.run(command, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    database = tmp_path / "data" / "neurotune.db"
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        prompts = connection.execute("SELECT count(*) FROM prompts").fetchone()[0]
    assert {"users", "sessions", "library", "prompts"} <= tables
    assert prompts >= 1
    assert "1 prompt template(s) added" not in result.stdout  # second run added none


def test_serve_answers_health_on_the_configured_port(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
        env=_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        health = None
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    health = json.load(response)
                break
            except OSError:
                time.sleep(0.1)
        assert health is not None, "the server never answered /health"
        assert {key: health[key] for key in ("api", "db", "db_writes", "llm", "db_error", "llm_error")} == {
            "api": "ok",
            "db": "ok",
            "db_writes": "ok",
            "llm": "disabled",
            "db_error": None,
            "llm_error": None,
        }
        assert (tmp_path / "data" / "neurotune.db").exists()
    finally:
        server.terminate()
        server.wait(timeout=20)


def _scan(tmp_path: Path, directory: Path) -> subprocess.CompletedProcess[str]:
    env = _env(tmp_path) | {
        "NEUROTUNE_LIBRARY_ROOTS": json.dumps([str(tmp_path / "library")]),
        "NEUROTUNE_SCAN_WORKERS": "2",
    }
    command = [sys.executable, "-m", "backend.cli", "scan", str(directory)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)


def test_scan_indexes_a_folder_with_progress_and_a_summary(tmp_path: Path) -> None:
    from backend.tests.music import write_music

    library = tmp_path / "library"
    library.mkdir()
    tracks = write_music(library)
    (library / "empty.wav").write_bytes(b"")

    first = _scan(tmp_path, Path("library"))  # relative to the current directory

    assert first.returncode == 0, first.stderr
    assert "scan: 100% 5/5 files" in first.stderr  # not a terminal: one line per 5 %
    assert "empty.wav: empty file (0 bytes)" in first.stderr
    header, row = first.stdout.strip().splitlines()
    assert header.split() == ["found", "analysed", "skipped", "failed", "removed", "seconds"]
    assert row.split()[:5] == ["5", "4", "0", "1", "0"]
    with sqlite3.connect(tmp_path / "data" / "neurotune.db") as connection:
        rows = dict(connection.execute("SELECT filename, bpm FROM library WHERE error IS NULL").fetchall())
    assert {name: round(bpm) for name, bpm in rows.items()} == {
        Path(t.relative).name: round(t.bpm) for t in tracks
    }

    again = _scan(tmp_path, library / "sub dir")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[1].split()[:5] == ["2", "0", "2", "0", "0"]


def test_scan_refuses_folders_outside_the_roots(tmp_path: Path) -> None:
    (tmp_path / "library").mkdir()
    for directory in (tmp_path, Path("/etc"), tmp_path / "library" / ".." / "data"):
        result = _scan(tmp_path, directory)
        assert result.returncode == 2
        assert "outside the library roots" in result.stderr
        assert result.stdout == ""


def test_several_workers_need_redis(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "backend.cli", "serve", "--workers", "2", "--port", str(free_port())]
    result = subprocess.run(command, env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "--workers needs NEUROTUNE_REDIS_URL" in result.stderr


def test_serve_with_several_workers_on_redis(tmp_path: Path, redis_prefix: str) -> None:
    port = free_port()
    env = _env(tmp_path) | {"NEUROTUNE_REDIS_URL": redis_url(), "NEUROTUNE_REDIS_PREFIX": redis_prefix}
    server = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        answers = []
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    answers.append(json.load(response)["api"])
                if len(answers) == 20:
                    break
            except OSError:
                time.sleep(0.1)
        assert answers == ["ok"] * 20
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert output.count("Started server process") == 2, output  # two web workers, one database
