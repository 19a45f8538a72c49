"""The real `neurotune` command against a real SQLite file, in a subprocess."""

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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
        assert health == {"api": "ok", "db": "ok", "llm": "disabled", "db_error": None, "llm_error": None}
        assert (tmp_path / "data" / "neurotune.db").exists()
    finally:
        server.terminate()
        server.wait(timeout=20)
