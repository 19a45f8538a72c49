"""Starting a real NeuroTune server for a benchmark: a subprocess on a free loopback port."""

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from backend.db.database import create_engine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(database_url: str, data_dir: Path, **settings: str) -> Iterator[tuple[str, int]]:
    """Serve the app on `database_url` until the block ends; yields (base URL, server pid)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEUROTUNE_")}
    env.update(
        NEUROTUNE_DATABASE_URL=database_url,
        NEUROTUNE_DATA_DIR=str(data_dir),
        NEUROTUNE_LOG_LEVEL="WARNING",
        # These benches measure the API; the model has its own (bench/llm.py) and would steal the CPU.
        NEUROTUNE_LLM_MODEL="none",
    )
    env.update({f"NEUROTUNE_{key.upper()}": value for key, value in settings.items()})
    server = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--port", str(port)], env=env)
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if server.poll() is not None:
                raise RuntimeError(f"server for {database_url} exited ({server.returncode}) while starting")
            try:
                if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError(f"server for {database_url} did not become healthy")
        yield base_url, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


async def _fresh_mysql_database(url: str, name: str) -> str:
    """Create (or empty) database `name` on the server `url` names; its URL."""
    target = make_url(url).set(database=name)
    engine = create_engine(make_url(url).set(database=None).render_as_string(hide_password=False))
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            await connection.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    finally:
        await engine.dispose()
    return target.render_as_string(hide_password=False)


def bench_mysql_url(name: str) -> str | None:
    """NEUROTUNE_BENCH_MYSQL_URL as it is, else a fresh database `name` on the server in
    NEUROTUNE_TEST_MYSQL_URL; None if neither is set (the MariaDB runs are skipped)."""
    if url := os.environ.get("NEUROTUNE_BENCH_MYSQL_URL"):
        return url
    if url := os.environ.get("NEUROTUNE_TEST_MYSQL_URL"):
        return asyncio.run(_fresh_mysql_database(url, name))
    return None


def rss_mib(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
