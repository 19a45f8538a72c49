"""The client of the model's process: start it in the background, report its state, talk to it.

At start-up `ModelClient` spawns the model process (`model_process.serve_model`) and waits, on a
thread of its own, for it to load; meanwhile (and whenever the model is not ready) the planner
answers. `RemoteModel` is the model as the engine sees it: `write` sends a prompt and blocks
until the answer is complete, passing each partial text to `on_text`. A process that dies is
reported (`/health`: error), the write in flight fails (the planner's schedule stands) and the
process is started again, a few times at most.
"""

import contextlib
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from backend.config import Settings
from backend.llm_engine.decoder import DecodeCancelled, DecodeResult
from backend.llm_engine.model_host import ModelStatus
from backend.llm_engine.model_process import ModelOptions, serve_model
from backend.llm_engine.model_store import BUNDLED_NAME, bundled_model_dir, is_prepared
from backend.models.schemas import GenerationTiming
from backend.schedules.hold import HoldBounds

logger = logging.getLogger(__name__)

_POLL_SEC = 0.05
"""How often a waiting write checks `should_stop` while the model is busy."""

_RESTARTS = 3
"""A model process that keeps dying is given up on after this many new starts."""


class ModelProcessDied(RuntimeError):
    """The model's process ended in the middle of a write."""


class RemoteModel:
    """The model in its own process. `write` blocks: call it from a thread (the model queue's)."""

    def __init__(
        self, name: str, process: SpawnProcess, conn: Connection, stop: Event, on_death: Callable[[], None]
    ) -> None:
        self.name = name
        self.process = process
        self._conn = conn
        self._stop = stop
        self._on_death = on_death
        self._lock = threading.Lock()

    def write(
        self,
        system: str,
        user: str,
        lark: str | None,
        *,
        max_new_tokens: int,
        fill: HoldBounds | None = None,
        on_start: Callable[[], None] | None = None,
        on_text: Callable[[str], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        user_id: int | None = None,
        lane: str = "interactive",
    ) -> DecodeResult:
        """See `ModelWriter.write`. The model is this app's alone: it starts at once (the model
        queue already decided whose turn it is), so `user_id` and `lane` are not needed here."""
        with self._lock:
            if on_start is not None:
                on_start()
            self._stop.clear()
            reply = self._call(("write", system, user, lark, max_new_tokens, fill), on_text, should_stop)
        if reply[0] == "done":
            return DecodeResult(reply[1], GenerationTiming.model_validate(reply[2]))
        if reply[0] == "cancelled":
            raise DecodeCancelled
        raise RuntimeError(f"the model failed: {reply[1]}")

    def forget_prompt_cache(self) -> None:
        with self._lock:
            self._call(("forget",), None, None)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send(("close",))
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self._conn.close()

    def _call(
        self,
        message: tuple[Any, ...],
        on_text: Callable[[str], None] | None,
        should_stop: Callable[[], bool] | None,
    ) -> tuple[Any, ...]:
        try:
            self._conn.send(message)
            while True:
                if not self._conn.poll(_POLL_SEC):
                    if should_stop is not None and should_stop():
                        self._stop.set()
                    continue
                reply: tuple[Any, ...] = self._conn.recv()
                if reply[0] != "text":
                    return reply
                if on_text is not None:
                    on_text(reply[1])
                if should_stop is not None and should_stop():
                    self._stop.set()
        except (EOFError, OSError) as error:
            self._on_death()
            raise ModelProcessDied(f"the model process stopped ({type(error).__name__})") from None


class ModelClient:
    """Owns the model process's lifecycle: background start, status for /health, the model."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.status: ModelStatus = "disabled" if settings.llm_model == "none" else "loading"
        self.error: str | None = None
        self.model: RemoteModel | None = None
        self.load_sec: float | None = None
        self._thread: threading.Thread | None = None
        self._restarts_left = _RESTARTS
        self._closed = False

    @property
    def source(self) -> str:
        if self._settings.llm_model == "bundled":
            return str(bundled_model_dir(self._settings.models_dir))
        return self._settings.llm_model

    def start_loading(self) -> None:
        """Start the model process in the background; the app serves (with the planner) meanwhile."""
        if self.status == "disabled" or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._load, name="llm-load", daemon=True)
        self._thread.start()

    def wait_loaded(self, timeout_sec: float | None = None) -> ModelStatus:
        if self._thread is not None:
            self._thread.join(timeout_sec)
        return self.status

    def close(self) -> None:
        self._closed = True
        model, self.model = self.model, None
        if model is not None:
            model.close()

    def _load(self) -> None:
        started = time.perf_counter()
        if self._settings.llm_model == "bundled" and not is_prepared(Path(self.source)):
            self._fail(
                f"the bundled model ({BUNDLED_NAME}) is not prepared: "
                "run `make setup` or `neurotune prepare-model`"
            )
            return
        logger.info("starting the language model's process (%s)", self.source)
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or loop copied
        parent, child = context.Pipe()
        stop = context.Event()
        options = ModelOptions(
            source=self.source,
            allow_download=self._settings.llm_allow_download,
            threads=self._settings.llm_threads,
            nice=self._settings.llm_nice,
        )
        process = context.Process(
            target=serve_model, args=(child, stop, options), name="neurotune-model", daemon=True
        )
        process.start()
        child.close()
        try:
            reply = parent.recv()
        except (EOFError, OSError):
            reply = ("failed", f"the model process ended while loading (exit code {process.exitcode})")
        if reply[0] != "ready":
            parent.close()
            process.join(5)
            self._fail(str(reply[1]))
            return
        self.model = RemoteModel(self.source, process, parent, stop, on_death=self._died)
        self.load_sec = time.perf_counter() - started
        self.status, self.error = "ok", None
        logger.info("language model ready in %.1f s (%s, pid %s)", self.load_sec, self.source, process.pid)
        if self._closed:
            self.close()

    def _died(self) -> None:
        """The model process stopped: report it, and start a new one while restarts are left."""
        self.model = None
        if self._closed:
            return
        if self._restarts_left <= 0:
            self._fail("the model process stopped again; the planner answers alone until a restart")
            return
        self._restarts_left -= 1
        logger.warning("the language model's process stopped; starting it again")
        self.status, self.error = "loading", "the model process stopped; starting it again"
        self._thread = threading.Thread(target=self._load, name="llm-load", daemon=True)
        self._thread.start()

    def _fail(self, reason: str) -> None:
        self.status, self.error = "error", reason
        logger.warning("language model unavailable, the planner answers alone: %s", reason)
