"""What the engine needs of wherever the model runs: its state, and a way to write with it.

Two hosts: `client.ModelClient` (the model in a process of this app's own) and
`worker_client.ModelWorkerClient` (the model in `neurotune model-worker`, shared over Redis by
every web worker of a host or cluster). Both hand out a `ModelWriter` while the model can write.
"""

from collections.abc import Callable
from typing import Literal, Protocol

from backend.llm_engine.decoder import DecodeResult
from backend.schedules.hold import HoldBounds

ModelStatus = Literal["disabled", "loading", "ok", "error"]


class ModelWriter(Protocol):
    name: str

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
        """The model's answer to a chat prompt under a Lark grammar (None: unconstrained). Blocks:
        call it from a thread.

        `fill` ends the answer once its lines fill that hold; `on_start` is called when the model
        takes the request up (a shared model may first serve others); `on_text` gets each partial
        text; `should_stop` cancels it (`DecodeCancelled`). `user_id` and `lane` place it in a
        shared model's queue.
        """
        ...


class ModelHost(Protocol):
    status: ModelStatus
    error: str | None
    load_sec: float | None

    @property
    def model(self) -> ModelWriter | None:
        """The model, while it can write; None while loading, failed, unreachable or disabled."""
        ...

    @property
    def source(self) -> str:
        """Which model, for /health and logs."""
        ...

    def start_loading(self) -> None: ...

    def wait_loaded(self, timeout_sec: float | None = None) -> ModelStatus: ...

    def close(self) -> None: ...
