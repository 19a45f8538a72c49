"""The CLI's progress bar: redrawn in place on a terminal, a line per 5 % in a log."""

import io

from backend.audio_processor.scanner import ScanProgress
from backend.library.scan_cli import ProgressBar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_bar_redraws_one_line() -> None:
    out = _Terminal()
    bar = ProgressBar(out)
    bar.update(ScanProgress(files_total=None))  # still walking: nothing to draw
    bar.update(ScanProgress(files_total=4, files_done=4, current_file="a.wav"))
    bar.finish()
    assert out.getvalue().startswith("\r[" + "#" * 30 + "] 100% 4/4 files a.wav")
    assert out.getvalue().endswith("\n")
    assert out.getvalue().count("\n") == 1


def test_log_gets_a_line_per_five_percent() -> None:
    out = io.StringIO()
    bar = ProgressBar(out)
    for done in range(101):
        bar.update(ScanProgress(files_total=100, files_done=done))
    lines = out.getvalue().splitlines()
    assert len(lines) == 21
    assert lines[0] == "scan:   0% 0/100 files"
    assert lines[-1] == "scan: 100% 100/100 files"
