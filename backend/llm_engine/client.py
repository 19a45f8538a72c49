"""The local language model: loading it in the background, and grammar-constrained decoding.

One model per process, used by one request at a time (the engine queues them). Decoding is
greedy and constrained by a llguidance grammar, with two speed-ups that change nothing in the
output:

* jump-forward: when the grammar allows exactly one continuation (separators, units, the
  rest of a word), those tokens are appended without sampling and fed in the same forward
  pass as the sampled token, so a forward pass is spent only where the model has a choice;
* prefix reuse: the key/value cache of the previous prompt is kept, and a new prompt only
  computes the tokens after the part it shares with the previous one (the system message
  and the template's fixed opening).
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from backend.config import Settings
from backend.llm_engine.model_store import BUNDLED_NAME, bundled_model_dir, is_prepared
from backend.llm_engine.prompts import SYSTEM_MESSAGE
from backend.models.schemas import GenerationTiming

if TYPE_CHECKING:
    import llguidance

logger = logging.getLogger(__name__)

ModelStatus = Literal["disabled", "loading", "ok", "error"]


class DecodeCancelled(Exception):
    """`should_stop` asked decoding to stop (deadline passed or the caller went away)."""


@dataclass
class DecodeResult:
    text: str
    timing: GenerationTiming = field(default_factory=lambda: GenerationTiming(total_sec=0.0))
    """The decoder's counts (tokens, passes, prefill); the engine adds queue and step times."""


class LoadedModel:
    """A causal LM, its tokenizer and the cache of the last prompt. Not thread-safe: one caller."""

    def __init__(self, name: str, model: Any, tokenizer: Any) -> None:
        import llguidance.hf

        self.name = name
        self._model = model
        self._tokenizer = tokenizer
        self._ll_tokenizer: llguidance.LLTokenizer = llguidance.hf.from_tokenizer(tokenizer)
        self._vocab_size = int(model.config.vocab_size)
        self._cache: Any = None
        self._cache_ids: list[int] = []

    def chat_prompt(self, system: str, user: str) -> list[int]:
        """The token ids of a chat prompt, ready for the assistant's answer."""
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        text = self._tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ids: list[int] = self._tokenizer(text, add_special_tokens=False).input_ids
        return ids

    def forget_prompt_cache(self) -> None:
        self._cache, self._cache_ids = None, []

    def compile_grammar(self, lark: str) -> str:
        import llguidance

        grammar: str = llguidance.LLMatcher.grammar_from_lark(lark)
        return grammar

    def decode(
        self,
        prompt_ids: list[int],
        grammar: str | None,
        *,
        max_new_tokens: int,
        on_text: Callable[[str], bool] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> DecodeResult:
        """Greedy decoding from `prompt_ids`, constrained by `grammar` (None: unconstrained).

        `on_text` gets the whole text decoded so far after every sampled token (for streaming)
        and returns True when the answer is complete enough to stop early; `should_stop` is
        polled before each pass and raises `DecodeCancelled` when it says so.
        """
        import llguidance
        import torch

        started = time.perf_counter()
        stats = GenerationTiming(total_sec=0.0, prompt_tokens=len(prompt_ids))
        matcher = llguidance.LLMatcher(self._ll_tokenizer, grammar) if grammar is not None else None
        if matcher is not None and matcher.is_error():
            raise ValueError(f"grammar refused: {matcher.get_error()}")
        eos = self._tokenizer.eos_token_id
        generated: list[int] = []
        with torch.inference_mode():
            logits = self._prefill(prompt_ids, stats)
            stats.prefill_sec = time.perf_counter() - started
            while len(generated) < max_new_tokens:
                if should_stop is not None and should_stop():
                    raise DecodeCancelled
                token = self._choose(logits, matcher)
                if token == eos:
                    break
                feed = [token]
                if matcher is not None:
                    if not matcher.consume_token(token):
                        raise ValueError(f"grammar state broke: {matcher.get_error()}")
                    forced = matcher.compute_ff_tokens()
                    if forced and matcher.consume_tokens(forced):
                        feed += forced
                        stats.forced_tokens += len(forced)
                generated += feed
                enough = on_text is not None and on_text(
                    self._tokenizer.decode(generated, skip_special_tokens=True)
                )
                if enough or (matcher is not None and matcher.is_stopped()):
                    break
                logits = self._forward(feed, stats)
        stats.generated_tokens = len(generated)
        stats.total_sec = time.perf_counter() - started
        return DecodeResult(self._tokenizer.decode(generated, skip_special_tokens=True), stats)

    def _prefill(self, prompt_ids: list[int], stats: GenerationTiming) -> Any:
        from transformers import DynamicCache

        # Keep the longest shared prefix (at least one new token must be fed to get logits).
        shared = 0
        limit = min(len(self._cache_ids), len(prompt_ids) - 1)
        while shared < limit and self._cache_ids[shared] == prompt_ids[shared]:
            shared += 1
        if self._cache is None or shared == 0:
            self._cache, self._cache_ids = DynamicCache(), []
        else:
            self._cache.crop(shared - len(self._cache_ids))  # negative: how many tokens to drop
            self._cache_ids = self._cache_ids[:shared]
        stats.reused_prompt_tokens = shared
        return self._forward(prompt_ids[shared:], stats)

    def _forward(self, ids: list[int], stats: GenerationTiming) -> Any:
        import torch

        try:
            output = self._model(torch.tensor([ids]), past_key_values=self._cache, use_cache=True)
        except BaseException:
            self.forget_prompt_cache()  # a half-updated cache must not be reused
            raise
        self._cache_ids += ids
        stats.forward_passes += 1
        return output.logits[0, -1]

    def _choose(self, logits: Any, matcher: "llguidance.LLMatcher | None") -> int:
        scores = logits.float().numpy()
        if matcher is None:
            return int(scores.argmax())
        allowed = np.unpackbits(np.frombuffer(matcher.compute_bitmask(), dtype=np.uint8), bitorder="little")
        allowed = allowed[: self._vocab_size].astype(bool)
        if not allowed.any():
            raise ValueError("grammar allows no token here")
        return int(np.where(allowed[: scores.shape[0]], scores[: allowed.shape[0]], -np.inf).argmax())


def load_model(source: str, *, allow_download: bool, threads: int) -> LoadedModel:
    """Load a model folder or a Hugging Face id (from the local cache unless downloads are allowed)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(threads)
    local_only = not allow_download and not Path(source).is_dir()
    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_only)
    model = AutoModelForCausalLM.from_pretrained(source, local_files_only=local_only, dtype=torch.float32)
    model.eval()  # type: ignore[no-untyped-call]
    return LoadedModel(source, model, tokenizer)


class ModelClient:
    """Owns the model's lifecycle: background load at start-up, status for /health, the model."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.status: ModelStatus = "disabled" if settings.llm_model == "none" else "loading"
        self.error: str | None = None
        self.model: LoadedModel | None = None
        self.load_sec: float | None = None
        self._thread: threading.Thread | None = None

    @property
    def source(self) -> str:
        if self._settings.llm_model == "bundled":
            return str(bundled_model_dir(self._settings.models_dir))
        return self._settings.llm_model

    def start_loading(self) -> None:
        """Load in a background thread; the app serves (with the planner) meanwhile."""
        if self.status == "disabled" or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._load, name="llm-load", daemon=True)
        self._thread.start()

    def wait_loaded(self, timeout_sec: float | None = None) -> ModelStatus:
        if self._thread is not None:
            self._thread.join(timeout_sec)
        return self.status

    def _load(self) -> None:
        started = time.perf_counter()
        if self._settings.llm_model == "bundled" and not is_prepared(Path(self.source)):
            self._fail(
                f"the bundled model ({BUNDLED_NAME}) is not prepared: "
                "run `make setup` or `neurotune prepare-model`"
            )
            return
        logger.info("loading the language model from %s", self.source)
        try:
            model = load_model(
                self.source,
                allow_download=self._settings.llm_allow_download,
                threads=self._settings.llm_threads,
            )
            # The system message never changes: computing its keys/values now (and running the
            # first, slowest forward pass) takes that time off the first request.
            model.decode(model.chat_prompt(SYSTEM_MESSAGE, ""), None, max_new_tokens=0)
        except Exception as error:  # any loader failure leaves the planner in charge
            self._fail(f"{type(error).__name__}: {error}".splitlines()[0][:300])
            return
        self.model = model  # only now: requests must never share the model with the warm-up
        self.load_sec = time.perf_counter() - started
        self.status = "ok"
        logger.info("language model ready in %.1f s (%s)", self.load_sec, self.source)

    def _fail(self, reason: str) -> None:
        self.status, self.error = "error", reason
        logger.warning("language model unavailable, the planner answers alone: %s", reason)
