"""Grammar-constrained decoding with a loaded model (in the model's own process, `model_process`).

One model, used by one request at a time. Decoding is greedy and constrained by a llguidance
grammar, with two speed-ups that change nothing in the output:

* jump-forward: when the grammar allows exactly one continuation (separators, units, the
  rest of a word), those tokens are appended without sampling and fed in the same forward
  pass as the sampled token, so a forward pass is spent only where the model has a choice;
* prefix reuse: the key/value cache of the previous prompt is kept, and a new prompt only
  computes the tokens after the part it shares with the previous one (the system message
  and the template's fixed opening).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from backend.llm_engine.prompts import SYSTEM_MESSAGE
from backend.models.schemas import GenerationTiming

if TYPE_CHECKING:
    import llguidance


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

    def write(
        self,
        system: str,
        user: str,
        lark: str | None,
        *,
        max_new_tokens: int,
        on_text: Callable[[str], None] | None = None,
        stop_when: Callable[[str], bool] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> DecodeResult:
        """Answer a chat prompt under a Lark grammar (None: unconstrained); see `decode`."""
        grammar = self.compile_grammar(lark) if lark is not None else None
        return self.decode(
            self.chat_prompt(system, user),
            grammar,
            max_new_tokens=max_new_tokens,
            on_text=on_text,
            stop_when=stop_when,
            should_stop=should_stop,
        )

    def warm_up(self) -> None:
        """Compute the system message's keys/values (and run the first, slowest forward pass)
        before the first request: the system message never changes."""
        self.decode(self.chat_prompt(SYSTEM_MESSAGE, ""), None, max_new_tokens=0)

    def decode(
        self,
        prompt_ids: list[int],
        grammar: str | None,
        *,
        max_new_tokens: int,
        on_text: Callable[[str], None] | None = None,
        stop_when: Callable[[str], bool] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> DecodeResult:
        """Greedy decoding from `prompt_ids`, constrained by `grammar` (None: unconstrained).

        `on_text` gets the whole text decoded so far after every sampled token (for streaming);
        `stop_when` says when that text is complete enough to stop early; `should_stop` is
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
                text = self._tokenizer.decode(generated, skip_special_tokens=True)
                if on_text is not None:
                    on_text(text)
                if (stop_when is not None and stop_when(text)) or (
                    matcher is not None and matcher.is_stopped()
                ):
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
