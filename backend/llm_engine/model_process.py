"""The model's own process: it loads the model once and answers one `write` at a time over a pipe.

The web server never imports torch: the model runs here, at a lower CPU priority (`nice`), so it
uses what requests leave and never holds the web process's interpreter lock. Messages are tuples:

  parent -> child   ("write", system, user, lark | None, max_new_tokens, fill: HoldBounds | None)
                    ("forget",)   drop the prompt cache      ("close",)
  child -> parent   ("ready", load_sec) | ("failed", reason)        once, after loading
                    ("text", text) per sampled token, then one of
                    ("done", text, timing) | ("cancelled",) | ("error", reason)

The parent asks a running write to stop by setting the shared `stop` event; the child polls it
between tokens.
"""

import functools
import logging
import os
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event

from backend.llm_engine.decoder import DecodeCancelled, LoadedModel, load_model
from backend.llm_engine.hold_format import hold_is_filled
from backend.schedules.hold import HoldBounds

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelOptions:
    source: str
    allow_download: bool
    threads: int
    nice: int


def serve_model(conn: Connection, stop: Event, options: ModelOptions) -> None:
    """The child's whole life: load, say so, then answer until told to close or the pipe breaks."""
    if options.nice > 0:
        os.nice(options.nice)
    started = time.perf_counter()
    try:
        model = load_model(options.source, allow_download=options.allow_download, threads=options.threads)
        model.warm_up()
    except Exception as error:  # any loader failure leaves the planner in charge
        conn.send(("failed", f"{type(error).__name__}: {error}".splitlines()[0][:300]))
        return
    conn.send(("ready", time.perf_counter() - started))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the web process went away
        if message[0] == "close":
            return
        if message[0] == "forget":
            model.forget_prompt_cache()
            conn.send(("done",))
        elif message[0] == "write":
            _answer(conn, stop, model, *message[1:])


def _answer(
    conn: Connection,
    stop: Event,
    model: LoadedModel,
    system: str,
    user: str,
    lark: str | None,
    max_new_tokens: int,
    fill: HoldBounds | None,
) -> None:
    # Lines past the hold's end would be dropped: stop writing once it is filled.
    stop_when = None if fill is None else functools.partial(hold_is_filled, fill)
    try:
        result = model.write(
            system,
            user,
            lark,
            max_new_tokens=max_new_tokens,
            on_text=lambda text: conn.send(("text", text)),
            stop_when=stop_when,
            should_stop=stop.is_set,
        )
    except DecodeCancelled:
        conn.send(("cancelled",))
    except Exception as error:
        logger.exception("model write failed")
        conn.send(("error", f"{type(error).__name__}: {error}"))
    else:
        conn.send(("done", result.text, result.timing.model_dump()))
