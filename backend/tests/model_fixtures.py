"""Model fixtures: the real bundled model (loaded once per run) and a tiny random-weight model.

`make test` prepares the bundled model first (`neurotune prepare-model`); run by hand without
it, the tests that need it skip and say how to get it.
"""

from pathlib import Path

import pytest

from backend.config import Settings
from backend.llm_engine.client import ModelClient
from backend.llm_engine.model_store import bundled_model_dir, is_prepared

MODELS_DIR = Path(__file__).resolve().parents[2] / "data" / "models"


def model_settings(model: str, **overrides: object) -> Settings:
    return Settings(llm_model=model, models_dir=MODELS_DIR, _env_file=None, **overrides)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def bundled_client() -> ModelClient:
    if not is_prepared(bundled_model_dir(MODELS_DIR)):
        pytest.skip(
            f"bundled model not prepared in {MODELS_DIR}: run `make setup` (or `neurotune prepare-model`)"
        )
    client = ModelClient(model_settings("bundled"))
    client.start_loading()
    assert client.wait_loaded() == "ok", client.error
    return client


@pytest.fixture(scope="session")
def random_model_dir(tmp_path_factory: pytest.TempPathFactory, bundled_client: ModelClient) -> Path:
    """A two-layer Llama with random weights and the bundled tokenizer: a model that knows nothing."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(7)
    tokenizer = AutoTokenizer.from_pretrained(bundled_client.source)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        eos_token_id=tokenizer.eos_token_id,
    )
    folder = tmp_path_factory.mktemp("random-model")
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
