"""Counting what the app asks of the database, on the real engine (pool events, no doubles)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event


@contextmanager
def counted_checkouts(app: FastAPI) -> Iterator[list[int]]:
    """Connections handed out by the app's pool while the block runs (one counter in a list)."""
    count = [0]

    def on_checkout(*_: Any) -> None:
        count[0] += 1

    pool = app.state.neurotune.engine.sync_engine.pool
    event.listen(pool, "checkout", on_checkout)
    try:
        yield count
    finally:
        event.remove(pool, "checkout", on_checkout)
