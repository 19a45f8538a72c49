"""Analysis callables for the worker pool's failure paths; module-level so workers can import them."""

import os
import time
from pathlib import Path

from backend.audio_processor.analyzer import TrackAnalysis, analyze_file


def hang_or_crash(path: str) -> TrackAnalysis:
    """The real analyzer, except that `hang*` files never finish and `crash*` files kill the worker."""
    name = Path(path).name
    if name.startswith("hang"):
        Path(path).with_suffix(".pid").write_text(str(os.getpid()))
        time.sleep(3600)
    if name.startswith("crash"):
        os._exit(70)  # as a segfaulting decoder would: no exception, the process is just gone
    if name.startswith("raise"):
        raise ValueError("decoder bug")
    return analyze_file(path)


def no_warm_up() -> None:
    """Workers for the failure-path tests need no warm analyzer."""
